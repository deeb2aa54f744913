"""Headless Chromium driving the console on `make run`'s stack (the `local_stack` of tests/conftest.py).

One browser per pytest-xdist worker (`browser`, per session); each test gets a `page` (page.py) on it,
reset after the test. After each test its browser log is read: any Content-Security-Policy violation
or JavaScript error fails it (page.browser_problems says exactly what counts). A failed test leaves a
screenshot, the page's HTML and the browser log in its pytest tmp dir, named in the failure's report.
"""

import os

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.browser import provision
from tests.browser.page import WINDOW, Page

# Selenium Manager never runs with a driver path given; were it to, it must not download a driver.
os.environ["SE_OFFLINE"] = "true"


@pytest.fixture(scope="session")
def browser():
    absent = provision.missing()
    if absent:
        reason = (f"{provision.SKIP_REASON}: {' and '.join(map(str, absent))} not installed "
                  f"(as root: apt-get install -y {' '.join(provision.PACKAGES)}; `make test` does it)")
        if provision.in_ci(os.environ):
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(provision.CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",  # /dev/shm is small in containers
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(provision.CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, local_stack, tmp_path):
    page = Page(browser, local_stack.url, artifacts=tmp_path)
    page.reset()
    yield page
    page.reset()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test (if it passed): its browser log holds no problem, or the test fails."""
    result = yield
    page = item.funcargs.get("page")
    if isinstance(page, Page) and (problems := page.problems()):
        pytest.fail("the browser logged a CSP violation or a JavaScript error:\n" + "\n".join(problems), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's screenshot, HTML and browser log, saved in its tmp dir and named in its report."""
    report = yield
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and isinstance(page, Page) and page.artifacts:
        try:
            page.driver.save_screenshot(str(page.artifacts / "failure.png"))
            (page.artifacts / "failure.html").write_text(page.driver.page_source)
            (page.artifacts / "browser.log").write_text(
                "".join(f"{entry['level']} {entry['message']}\n" for entry in page.browser_log()))
            report.sections.append(("browser", f"the page at failure: {page.artifacts}/failure.png, "
                                               f"failure.html, browser.log ({page.driver.current_url})"))
        except Exception as error:  # the browser may be what failed
            report.sections.append(("browser", f"no screenshot: {error}"))
    return report
