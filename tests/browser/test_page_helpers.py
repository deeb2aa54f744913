"""The page helpers (page.py) find what a user finds, on a small page of their own (a data: URL), so that
the console's tests can trust them."""

import base64
import struct

import pytest
from tests.browser import page as page_module
from tests.browser.page import WINDOW

FORM = """<!doctype html><meta charset="utf-8"><title>helpers</title>
<section aria-label="First bin"><button>  Delete </button></section>
<section aria-labelledby="second"><h2 id="second">Second bin</h2><button>Delete</button></section>
<button aria-label="Close">X</button>
<button hidden>Hidden</button>
<button class="primary"><span>Save</span></button>
<label for="key">Master key</label><input id="key" value="old">
<label>Bin name <input name="name"></label>
<label for="plan">Plan</label><select id="plan"><option>free</option><option>pro</option></select>
<textarea aria-label="Record"></textarea>
<a href="#docs">Documentation</a>
<div role="status"></div>
<script>
  document.querySelector(".primary").addEventListener("click", () => {
    setTimeout(() => {
      document.querySelector("[role=status]").textContent = "Saved " + document.getElementById("key").value;
    }, 300);
  });
</script>
"""


@pytest.fixture
def form(page):
    page.driver.get("data:text/html;base64," + base64.b64encode(FORM.encode()).decode())
    return page


def test_a_button_is_found_by_its_text_or_aria_label_and_only_if_visible(form):
    assert form.button("Save").tag_name == "button"
    assert form.button("Close").text == "X"
    with pytest.raises(AssertionError, match="2 visible buttons are named 'Delete'"):
        form.button("Delete")
    assert form.button("Delete", within=form.region("Second bin")).text == "Delete"
    assert form.button("Delete", within=form.region("First bin")) != form.button(
        "Delete", within=form.region("Second bin"))


def test_a_missing_thing_fails_after_the_wait_naming_it(form, monkeypatch):
    monkeypatch.setattr(page_module, "WAIT", 0.3)
    with pytest.raises(AssertionError, match=r"waited 0\.3 s for a visible button named 'Hidden'"):
        form.button("Hidden")


def test_fields_are_found_by_their_label_filled_and_read(form):
    form.fill("Master key", "new-key")
    form.fill("Bin name", "orders")
    form.fill("Record", '{"a": 1}')
    form.choose("Plan", "pro")
    assert [form.value(label) for label in ("Master key", "Bin name", "Record", "Plan")] == [
        "new-key", "orders", '{"a": 1}', "pro"]
    assert form.link("Documentation").get_attribute("href").endswith("#docs")


def test_alert_text_waits_for_the_status_message(form):
    form.fill("Master key", "k1")
    form.click("Save")
    assert form.alert_text() == "Saved k1"
    form.wait_for_text("Saved k1")
    assert "Second bin" in form.text()


def test_a_screenshot_is_saved_only_with_screenshots_1(form, tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "SCREENSHOT_DIR", tmp_path)
    monkeypatch.delenv("SCREENSHOTS", raising=False)
    assert form.screenshot("helpers") is None
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("SCREENSHOTS", "1")
    png = form.screenshot("helpers").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == WINDOW[0] and 0 < height <= WINDOW[1]  # the viewport: the window less what Chromium keeps
    with pytest.raises(ValueError):
        form.screenshot("../README")


def test_reset_leaves_one_blank_window_of_the_usual_size_and_no_session_storage(page):
    page.open_console()
    page.driver.execute_script("sessionStorage.setItem('key', 'left behind'); localStorage.setItem('a', 'b')")
    page.driver.set_window_size(400, 300)
    page.driver.switch_to.new_window("tab")
    page.reset()  # what the page fixture does after each test
    assert page.driver.get_window_size() == {"width": WINDOW[0], "height": WINDOW[1]}
    assert len(page.driver.window_handles) == 1
    assert page.driver.current_url == "about:blank"
    page.open_console()
    assert page.driver.execute_script("return [sessionStorage.length, localStorage.length]") == [0, 0]
