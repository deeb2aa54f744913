"""The console as a user meets it, for the browser tests: actions a user takes and things a user sees.

Things are found the way a user (or a screen reader) knows them, by their accessible name as Chromium
computes it (a button's text or aria-label, a field's <label>), never by CSS classes or ids. Every
wait is explicit (WebDriverWait, WAIT seconds at most); nothing sleeps.

The browser log is read here too: `problems()` is what tests/browser/conftest.py fails a test on.
"""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.webdriver import WebDriver  # Chromium's: it has get_log
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.support import ROOT

WINDOW = (1280, 900)
WAIT = 10  # seconds, for anything to appear
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
SCREENSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

BUTTONS = "button, [role=button], input[type=button], input[type=submit], input[type=reset]"
FIELDS = "input:not([type=hidden]), textarea, select, [role=textbox], [role=combobox], [role=searchbox]"
LINKS = "a[href], [role=link]"
REGIONS = "dialog, [role=dialog], [role=alertdialog], section, form, fieldset, nav, aside, [role=region], [role=group]"
MESSAGES = "[role=alert], [role=status]"

# The elements under `root` (or the document) matching a selector whose names could contain `name`:
# a cheap filter in the page, before Chromium's own accessible name of each is asked over WebDriver.
_CANDIDATES = """
const [selector, name, root] = arguments;
const norm = (text) => (text || "").replace(/\\s+/g, " ").trim().toLowerCase();
const wanted = norm(name);
const texts = (el) => [
  el.getAttribute("aria-label"), el.textContent, el.value, el.title, el.placeholder,
  ...Array.from(el.labels || [], (label) => label.textContent),
  ...(el.getAttribute("aria-labelledby") || "").split(/\\s+/).map((id) => document.getElementById(id)?.textContent),
];
return Array.from((root || document).querySelectorAll(selector))
  .filter((el) => texts(el).some((text) => norm(text).includes(wanted)));
"""

# "<url> - Failed to load resource: the server responded with a status of 404 (Not Found)"
_LOAD_FAILED = re.compile(
    r"^(?P<url>\S+) - Failed to load resource: the server responded with a status of (?P<status>\d+)")


def _normal(text: str) -> str:
    return " ".join(text.split())


def browser_problems(entries: list[dict], origin: str) -> list[str]:
    """The browser log entries a test fails on: any Content-Security-Policy violation (whatever its
    level), and every SEVERE entry (an uncaught JavaScript error, console.error, a failed load) except
    a 4xx answer to a URL outside the console's own files at `origin`."""
    console = f"{origin}/console"
    problems = []
    for entry in entries:
        message = entry.get("message", "")
        if "Content Security Policy" in message:
            problems.append(message)
        elif entry.get("level") == "SEVERE":
            load = _LOAD_FAILED.match(message)
            # Allowed by design: the API refuses requests with a 4xx (a wrong key, a missing bin...) and
            # the console shows the refusal; Chromium logs each as a failed load all the same. So is the
            # browser's own request for /favicon.ico. Never allowed: a 4xx for the console's own files
            # (a missing script or style), nor any 5xx.
            if load and load["status"].startswith("4") and not (
                load["url"] == console or load["url"].startswith(console + "/")
            ):
                continue
            problems.append(message)
    return problems


class Page:
    def __init__(self, driver: WebDriver, base_url: str, artifacts: Path | None = None):
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.artifacts = artifacts  # where a failed test's screenshot goes (conftest.py)
        self._log: list[dict] = []

    # --- going places

    def open_console(self, path: str = "") -> None:
        """Load /console (or /console + path) and wait until its script has started (#app[data-ready=true])."""
        self.driver.get(f"{self.base_url}/console{path}")
        self._until(
            lambda: self.driver.execute_script(
                "return document.getElementById('app')?.dataset.ready === 'true'"),
            "the console to be ready (#app[data-ready=true])")

    # --- finding things by their accessible name

    def button(self, name: str, within: WebElement | None = None) -> WebElement:
        """The visible button named `name`: a <button> (or role=button, an input button) by its text or aria-label."""
        return self._named(BUTTONS, name, "button", within)

    def field(self, label: str, within: WebElement | None = None) -> WebElement:
        """The visible input, textarea or select labelled `label` (its <label>, aria-label or aria-labelledby)."""
        return self._named(FIELDS, label, "field", within)

    def link(self, name: str, within: WebElement | None = None) -> WebElement:
        """The visible link named `name` (its text or aria-label)."""
        return self._named(LINKS, name, "link", within)

    def region(self, name: str) -> WebElement:
        """The visible dialog, section, form, fieldset, nav or aside named `name` (aria-label,
        aria-labelledby, a fieldset's legend): pass it as `within=` when a name appears twice."""
        return self._named(REGIONS, name, "region", None)

    # --- acting

    def click(self, name: str, within: WebElement | None = None) -> None:
        """Click the button named `name`."""
        self.button(name, within).click()

    def fill(self, label: str, text: str, within: WebElement | None = None) -> None:
        """Empty the field labelled `label`, then type `text` into it."""
        field = self.field(label, within)
        field.clear()
        field.send_keys(text)

    def choose(self, label: str, option: str, within: WebElement | None = None) -> None:
        """Pick the option showing `option` in the <select> labelled `label`."""
        Select(self.field(label, within)).select_by_visible_text(option)

    # --- reading

    def wait_for_text(self, text: str, within: WebElement | None = None) -> None:
        """Wait until `text` shows in the page (or in `within`): its rendered text, hidden elements excluded."""
        self._until(lambda: text in self.text(within), f"the text {text!r} to show")

    def text(self, within: WebElement | None = None) -> str:
        """The page's (or `within`'s) rendered text, as a user would read it."""
        return self.driver.execute_script("return (arguments[0] || document.body).innerText", within)

    def alert_text(self, containing: str = "") -> str:
        """The text of the visible message (role=alert or role=status) holding `containing`, once there is one;
        without `containing`, of the first message showing any text."""

        def found() -> str | None:
            for element in self.driver.find_elements(By.CSS_SELECTOR, MESSAGES):
                text = _normal(element.text)
                if text and containing in text and element.is_displayed():
                    return text
            return None

        return self._until(found, f"a role=alert or role=status message holding {containing!r}")

    def value(self, label: str, within: WebElement | None = None) -> str:
        """What the field labelled `label` holds now."""
        return str(self.field(label, within).get_property("value"))

    # --- pictures

    def screenshot(self, name: str) -> Path | None:
        """With SCREENSHOTS=1 (`make screenshots`), save the window as docs/screenshots/<name>.png for the
        README; otherwise do nothing. `name`: lower-case letters, digits and dashes."""
        if not SCREENSHOT_NAME.fullmatch(name):
            raise ValueError(f"a screenshot's name is lower-case letters, digits and dashes: {name!r}")
        if os.environ.get("SCREENSHOTS") != "1":
            return None
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        if not self.driver.save_screenshot(str(path)):
            raise RuntimeError(f"no screenshot taken for {path}")
        return path

    # --- the browser log

    def browser_log(self) -> list[dict]:
        """Every browser log entry since the test started (Chromium hands each over once: kept here)."""
        self._log.extend(self.driver.get_log("browser"))
        return list(self._log)

    def problems(self) -> list[str]:
        """The log entries the test will fail on after it ends (browser_problems)."""
        return browser_problems(self.browser_log(), self.base_url)

    def take_problems(self) -> list[str]:
        """The problems so far, forgotten: for a test that provokes one on purpose and checks it."""
        problems = self.problems()
        self._log.clear()
        return problems

    def wait_for_log(self, containing: str) -> dict:
        """Wait until a browser log entry's message holds `containing`; that entry."""

        def found() -> dict | None:
            return next((entry for entry in self.browser_log() if containing in entry["message"]), None)

        return self._until(found, f"a browser log entry holding {containing!r}")

    def wait_for_problem(self) -> list[str]:
        """Wait until the log holds a problem; the problems (not forgotten)."""
        return self._until(self.problems, "a problem in the browser log")

    # --- between tests

    def reset(self) -> None:
        """What a test left behind goes: dialogs, extra windows, session and local storage, cookies, the
        page (about:blank), the window's size, the log."""
        driver = self.driver
        try:
            driver.switch_to.alert.dismiss()
        except NoAlertPresentException:
            pass
        first, *others = driver.window_handles
        for handle in others:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(first)
        # The document's own origin (an error page for a refused URL keeps the URL, not the origin).
        if driver.execute_script("return location.origin") == self.base_url:
            driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        driver.delete_all_cookies()
        driver.get("about:blank")
        driver.set_window_size(*WINDOW)
        driver.get_log("browser")
        self._log.clear()

    # --- the machinery

    def _named(self, selector: str, name: str, kind: str, within: WebElement | None) -> WebElement:
        wanted = _normal(name)

        def matches() -> list[WebElement] | None:
            candidates = self.driver.execute_script(_CANDIDATES, selector, wanted, within)
            found = [el for el in candidates if _normal(el.accessible_name) == wanted and el.is_displayed()]
            return found or None

        found = self._until(matches, f"a visible {kind} named {name!r}")
        if len(found) > 1:
            raise AssertionError(f"{len(found)} visible {kind}s are named {name!r}: pass within=page.region(...)")
        return found[0]

    def _until(self, condition: Callable[[], Any], what: str) -> Any:
        try:
            return WebDriverWait(self.driver, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
                lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"waited {WAIT} s for {what}; the page shows:\n{self._shown()}") from None

    def _shown(self) -> str:
        try:
            return self.text()[:2000]
        except Exception as error:  # the page itself may be what broke
            return f"(its text could not be read: {error})"
