"""The console in a real browser, as its users use it, on `make run`'s stack: every flow checks what
the user sees and what the API then holds. Screens the README shows are saved by `make screenshots`.

The editor is Ace: where a test needs a whole record in it (a 1 MB one cannot be typed), it sets the
editor's text through Ace's own API on the labelled editor; typing is tested with the keyboard.
"""

import json

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from binstore import provisioning

SIGN_IN = "Sign in"
KEY_FIELD = "Master key or access key"


# --- the account and the API, from outside the browser


def new_account(local_stack, plan="pro", requests=None):
    return provisioning.create_account(local_stack.store(), plan, requests)


def call(local_stack, key, method, path, body=None, headers=None, raw=None):
    sent = {"X-Master-Key": key, **({"Content-Type": "application/json"} if body is not None or raw else {}), **(headers or {})}
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    status, answered, text = local_stack.request(method, path, data, sent)
    return status, answered, (json.loads(text) if text else None)


def create_bin(local_stack, key, record, **headers):
    status, _, answer = call(local_stack, key, "POST", "/v3/b", record, headers)
    assert status == 200, answer
    return answer["metadata"]["id"]


def stored(local_stack, key, bin_id):
    return call(local_stack, key, "GET", f"/v3/b/{bin_id}", headers={"X-Bin-Meta": "false"})[2]


def requests_left(local_stack, key):
    return call(local_stack, key, "GET", "/v3/me")[2]["account"]["requestsRemaining"]


# --- the browser


def sign_in(page, key, path=""):
    page.open_console(path)
    page.fill(KEY_FIELD, key)
    page.click(SIGN_IN)
    page.wait_for_text("requests left")
    quiet(page)


def quiet(page):
    """Wait until no request of the console's is on its way (it marks its view aria-busy meanwhile),
    so what the account has left is final."""
    eventually(page, lambda: page.driver.find_element("id", "main").get_attribute("aria-busy") != "true")


def editor_text(page, label="Record"):
    return page.driver.execute_script("return arguments[0].env.editor.getValue()", page.region(label))


def set_editor_text(page, text, label="Record"):
    page.driver.execute_script("arguments[0].env.editor.setValue(arguments[1], -1)", page.region(label), text)


def retype_in_editor(page, text, label="Record"):
    """Click into the editor, select everything (Ctrl+A) and type `text` over it, key by key."""
    page.region(label).click()
    ActionChains(page.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(text).perform()


def eventually(page, condition, seconds=10):
    """Wait until `condition()` holds, rereading the page as it changes."""
    return WebDriverWait(page.driver, seconds, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda _: condition())


def assert_error_under(page, label, message):
    """`message` shows next to the field labelled `label`, tied to it (aria-describedby), so a screen
    reader reads it with the field."""
    assert page.alert_text(message) == message
    error = page.driver.find_element("xpath", f"//p[@role='alert'][normalize-space()='{message}']")
    assert error.get_attribute("id") in page.field(label).get_attribute("aria-describedby").split()


def signed_in_on_a_new_bin(page, local_stack, record, plan="pro"):
    """A fresh account with one bin holding `record`, signed in, the bin open: (master key, bin id)."""
    key = new_account(local_stack, plan).master_key
    bin_id = create_bin(local_stack, key, record)
    sign_in(page, key)
    open_bin(page, bin_id)
    return key, bin_id


def open_bin(page, bin_id):
    page.driver.get(f"{page.base_url}/console#/bin/{bin_id}")
    page.wait_for_text("Bin id")
    quiet(page)


# --- flows


def test_a_newcomer_signs_in_with_the_demo_key_and_edits_the_demo_bin(page, local_stack):
    page.open_console()
    page.screenshot("console-sign-in")
    page.fill(KEY_FIELD, local_stack.master_key)
    page.click(SIGN_IN)
    page.wait_for_text("signed in with the master key")
    page.fill("Open a bin by id", local_stack.bin_id)  # the id the banner printed
    page.click("Open")
    page.wait_for_text("Bin id")
    retype_in_editor(page, '{"sample": "Hello from the console"}')
    page.click("Save (1 request)")
    assert page.alert_text("Saved") == "Saved"
    assert stored(local_stack, local_stack.master_key, local_stack.bin_id) == {"sample": "Hello from the console"}


def test_the_key_lives_in_the_tabs_session_storage_only_and_sign_out_forgets_it(page, local_stack):
    account = new_account(local_stack)
    sign_in(page, account.master_key)
    driver = page.driver
    stored_session = driver.execute_script("return Object.values(sessionStorage).join(' ')")
    assert account.master_key in stored_session
    assert driver.execute_script("return localStorage.length") == 0
    assert driver.get_cookies() == []
    assert account.master_key not in driver.current_url
    assert account.master_key not in driver.execute_script("return document.body.innerText")

    driver.refresh()  # the same tab: still signed in
    page.wait_for_text("requests left")
    page.click("Sign out")
    page.field(KEY_FIELD)
    assert driver.execute_script("return sessionStorage.length") == 0
    driver.refresh()
    page.field(KEY_FIELD)  # still signed out


def test_a_wrong_key_shows_the_apis_message_and_is_not_kept(page):
    page.open_console()
    page.fill(KEY_FIELD, "not-a-key")
    page.click(SIGN_IN)
    assert page.alert_text("Neither") == ("Neither a master key nor an access key. The API answered: "
                                          "Invalid X-Master-Key provided / Invalid X-Access-Key provided")
    assert page.driver.execute_script("return sessionStorage.length") == 0


def test_collections_and_uncategorized_bins_are_listed_paged_and_sorted(page, local_stack):
    account = new_account(local_stack)
    key = account.master_key
    status, _, collection = call(local_stack, key, "POST", "/v3/c", headers={"X-Collection-Name": "Saves"})
    assert status == 200
    in_collection = create_bin(local_stack, key, {"level": 1}, **{"X-Collection-Id": collection["record"], "X-Bin-Name": "slot 1"})
    loose = [create_bin(local_stack, key, {"n": n}, **{"X-Bin-Name": f"bin {n:02}"}) for n in range(12)]

    sign_in(page, key)
    page.wait_for_text("bin 11")  # uncategorized, newest first
    names = lambda: [link.text for link in page.driver.find_elements("css selector", "main table a")]  # noqa: E731
    assert names() == [f"bin {n:02}" for n in range(11, 1, -1)]
    page.screenshot("console-bins")
    assert not page.button("Previous page").is_enabled()  # the first page
    page.click("Next page (1 request)")
    page.wait_for_text("Page 2")
    assert names() == ["bin 01", "bin 00"]
    assert not page.button("Next page (1 request)").is_enabled()  # the last page
    assert page.button("Previous page").is_enabled()
    page.click("Previous page")
    page.wait_for_text("Page 1")
    page.choose("Order", "Oldest first")
    eventually(page, lambda: names()[:2] == ["bin 00", "bin 01"])

    page.link("Saves").click()
    page.wait_for_text("slot 1")
    page.link("slot 1").click()
    page.wait_for_text(in_collection)
    assert loose  # made above


def test_a_save_refused_with_412_shows_both_records_and_overwrites_only_when_asked(page, local_stack):
    account = new_account(local_stack)
    key = account.master_key
    bin_id = create_bin(local_stack, key, {"owner": "ada", "score": 1}, **{"X-Bin-Name": "shared"})
    sign_in(page, key)
    open_bin(page, bin_id)
    # Someone else writes meanwhile.
    assert call(local_stack, key, "PUT", f"/v3/b/{bin_id}", {"owner": "bob", "score": 7})[0] == 200
    set_editor_text(page, '{"owner": "ada", "score": 2}')  # typed on one line
    page.click("Save (1 request)")
    conflict = page.region("This bin changed since you opened it")
    page.wait_for_text('"owner": "bob"', within=conflict)
    page.wait_for_text('"owner": "ada"', within=conflict)
    assert stored(local_stack, key, bin_id) == {"owner": "bob", "score": 7}  # nothing written
    # Only what differs is marked, whatever the layout typed: the two changed lines, side by side.
    changed = conflict.find_elements("css selector", "td.removed, td.added")
    assert sorted(cell.text for cell in changed) == ['  "owner": "ada",', '  "owner": "bob",', '  "score": 2', '  "score": 7']
    page.screenshot("console-conflict")

    page.click("Overwrite with mine (1 request)", within=conflict)
    page.alert_text("Saved")
    assert stored(local_stack, key, bin_id) == {"owner": "ada", "score": 2}


def test_after_a_412_the_user_can_take_the_servers_record_instead(page, local_stack):
    key, bin_id = signed_in_on_a_new_bin(page, local_stack, {"v": 1})
    call(local_stack, key, "PUT", f"/v3/b/{bin_id}", {"v": "theirs"})
    set_editor_text(page, '{"v": "mine"}')
    page.click("Save (1 request)")
    page.click("Load the server's record (drops your changes)")
    assert json.loads(editor_text(page)) == {"v": "theirs"}
    assert stored(local_stack, key, bin_id) == {"v": "theirs"}


def test_a_change_of_privacy_alone_does_not_block_the_next_save(page, local_stack):
    key, bin_id = signed_in_on_a_new_bin(page, local_stack, {"v": 1})
    before = requests_left(local_stack, key)
    page.click("Make public (1 request)")
    page.alert_text("The bin is public")
    set_editor_text(page, '{"v": 2}')
    page.click("Save (1 request)")
    page.alert_text("Saved")
    quiet(page)
    # The change's answer carried the new ETag: the save needed no 412 and no second read.
    assert requests_left(local_stack, key) == before - 2
    assert stored(local_stack, key, bin_id) == {"v": 2}
    assert call(local_stack, key, "GET", f"/v3/b/{bin_id}")[2]["metadata"]["private"] is False


def test_versions_are_kept_per_save_listed_on_demand_and_compared_with_the_latest(page, local_stack):
    key, bin_id = signed_in_on_a_new_bin(page, local_stack, {"level": 1, "lives": 3})
    before = requests_left(local_stack, key)
    page.field("Keep a version").click()
    set_editor_text(page, '{\n  "level": 2,\n  "lives": 3\n}')
    page.click("Save (1 request)")
    page.alert_text("latest is now version 1")
    assert requests_left(local_stack, key) == before - 1  # no version was read along the way

    page.click("Show versions (1 request)")
    page.click("Compare version 0 with the latest (1 request)")
    page.wait_for_text("Version 0 and the latest")
    comparison = page.region("Version 0 and the latest")
    page.wait_for_text('"level": 1', within=comparison)
    page.wait_for_text('"level": 2', within=comparison)
    page.screenshot("console-versions")
    page.click("Put version 0 in the editor")
    assert json.loads(editor_text(page)) == {"level": 1, "lives": 3}
    assert call(local_stack, key, "GET", f"/v3/b/{bin_id}/versions/count")[2]["metadata"]["versionCount"] == 1


def test_a_free_account_cannot_tick_versioning(page, local_stack):
    signed_in_on_a_new_bin(page, local_stack, {"v": 1}, plan="free")
    assert not page.field("Keep a version").is_enabled()
    page.wait_for_text("Versioning is a pro plan feature.")


def test_create_rename_and_delete_a_bin(page, local_stack):
    key = new_account(local_stack).master_key
    sign_in(page, key)
    page.link("New bin").click()
    page.fill("Name (optional)", "café €")  # € is not Latin-1: no browser sends it in a header
    set_editor_text(page, '{"hello": "console"}')
    page.click("Create bin (1 request)")
    assert_error_under(page, "Name (optional)",
                       "X-Bin-Name can hold Latin-1 characters only (é yes, € no): a browser cannot send others in a header")

    page.fill("Name (optional)", "made in the console")
    before = requests_left(local_stack, key)
    page.click("Create bin (1 request)")
    page.wait_for_text("Bin id")
    bin_id = page.driver.current_url.rsplit("/", 1)[1]
    assert stored(local_stack, key, bin_id) == {"hello": "console"}
    assert requests_left(local_stack, key) == before - 2  # the create, and the read just above: no other

    page.fill("Name", "renamed")
    page.click("Rename (1 request)")
    page.alert_text("Bin renamed")
    assert call(local_stack, key, "GET", f"/v3/b/{bin_id}")[2]["metadata"]["name"] == "renamed"
    assert page.driver.title == "renamed · binstore console"

    page.click("Delete bin…")
    dialog = page.region("Delete this bin?")
    page.click("Cancel", within=dialog)
    assert call(local_stack, key, "GET", f"/v3/b/{bin_id}")[0] == 200
    page.click("Delete bin…")
    page.click("Delete", within=page.region("Delete this bin?"))
    page.alert_text("Bin deleted")
    assert call(local_stack, key, "GET", f"/v3/b/{bin_id}")[0] == 404


def test_a_record_or_name_holding_html_shows_as_text_and_runs_nothing(page, local_stack):
    key = new_account(local_stack).master_key
    hostile = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
    bin_id = create_bin(local_stack, key, {"html": hostile}, **{"X-Bin-Name": "<img src=x onerror=window.pwned=3>"})
    sign_in(page, key)
    page.link("<img src=x onerror=window.pwned=3>").click()
    page.wait_for_text(bin_id)
    assert json.loads(editor_text(page)) == {"html": hostile}
    page.fill("JSONPath", "$.html")
    page.click("Query (1 request)")
    page.wait_for_text(hostile.replace('"', '\\"'))
    assert page.driver.execute_script("return window.pwned") is None
    assert page.driver.find_elements("css selector", "main script, main img") == []


def test_syntax_errors_show_before_anything_is_sent(page, local_stack):
    key, bin_id = signed_in_on_a_new_bin(page, local_stack, {"v": 1})
    before = requests_left(local_stack, key)
    retype_in_editor(page, '{"v": }')
    assert page.alert_text("Not JSON yet") == "Not JSON yet, line 1, column 7: Unexpected token '}'"
    assert not page.button("Save (1 request)").is_enabled()
    assert requests_left(local_stack, key) == before
    assert stored(local_stack, key, bin_id) == {"v": 1}


def test_numbers_keep_every_digit_through_the_editor(page, local_stack):
    key = new_account(local_stack).master_key
    status, _, created = call(local_stack, key, "POST", "/v3/b", raw=b'{"id": 12345678901234567890123, "ratio": 0.1}')
    bin_id = created["metadata"]["id"]
    sign_in(page, key)
    open_bin(page, bin_id)
    assert '"id": 12345678901234567890123' in editor_text(page)
    set_editor_text(page, editor_text(page).replace("0.1", "0.25"))
    page.click("Save (1 request)")
    page.alert_text("Saved")
    _, _, body = local_stack.request("GET", f"/v3/b/{bin_id}", None, {"X-Master-Key": key, "X-Bin-Meta": "false"})
    assert body == '{"id":12345678901234567890123,"ratio":0.25}'


def test_a_1mb_record_opens_and_saves_and_one_over_the_limit_shows_the_apis_message(page, local_stack):
    key = new_account(local_stack).master_key
    big = {"rows": ["x" * 100 for _ in range(10_000)]}  # about 1 MB, under the pro limit of 1 MiB
    bin_id = create_bin(local_stack, key, big)
    sign_in(page, key)
    open_bin(page, bin_id)
    assert json.loads(editor_text(page)) == big
    set_editor_text(page, editor_text(page).replace('"x', '"y', 1))
    page.click("Save (1 request)")
    page.alert_text("Saved")
    assert stored(local_stack, key, bin_id)["rows"][0].startswith("y")

    set_editor_text(page, json.dumps({"rows": ["z" * 1_100_000]}))
    page.click("Save (1 request)")
    assert page.alert_text("1mb") == "Records over 1mb cannot be stored on any plan"
    assert stored(local_stack, key, bin_id)["rows"][0].startswith("y")


def test_access_keys_created_shown_once_used_and_revoked(page, local_stack):
    account = new_account(local_stack)
    bin_id = create_bin(local_stack, account.master_key, {"v": 1}, **{"X-Bin-Name": "device"})
    sign_in(page, account.master_key)
    page.link("Access keys").click()
    page.fill("Key name", "frontend")
    page.field("update").click()  # read is ticked already
    page.click("Create access key (1 request)")
    new_key = page.value("Access key “frontend”")
    assert len(new_key) > 40
    page.wait_for_text("It is shown this once")
    page.screenshot("console-access-keys")
    assert [key["metadata"]["name"] for key in call(local_stack, account.master_key, "GET", "/v3/a")[2]] == ["frontend"]

    page.click("Sign out")
    sign_in(page, new_key)
    page.wait_for_text("signed in with an access key, “frontend”")
    assert not page.button("Access keys").is_enabled()  # shown, disabled: it needs the master key
    page.fill("Open a bin by id", bin_id)
    page.click("Open")
    page.wait_for_text("Bin id")
    assert not page.button("Delete bin…").is_enabled()
    assert not page.button("Make public (1 request)").is_enabled()
    set_editor_text(page, '{"v": "from the access key"}')
    page.click("Save (1 request)")
    page.alert_text("Saved")
    assert stored(local_stack, account.master_key, bin_id) == {"v": "from the access key"}

    page.click("Sign out")
    sign_in(page, account.master_key)
    page.link("Access keys").click()
    page.click("Revoke frontend")
    page.click("Revoke", within=page.region("Revoke this access key?"))
    page.alert_text("revoked")
    assert call(local_stack, account.master_key, "GET", "/v3/a")[2] == []


def test_schema_docs_errors_show_next_to_their_field_and_records_are_checked(page, local_stack):
    key = new_account(local_stack).master_key
    status, _, collection = call(local_stack, key, "POST", "/v3/c", headers={"X-Collection-Name": "People"})
    sign_in(page, key)
    page.link("Collections and schema docs").click()
    page.fill("Schema doc name", "x" * 40)
    page.click("Create schema doc (1 request)")
    name_error = "Name of the Schema Doc cannot be above 32 characters"
    assert_error_under(page, "Schema doc name", name_error)
    page.fill("Schema doc name", "Person")
    set_editor_text(page, '{"type": "not-a-type"}', label="JSON Schema")
    page.click("Create schema doc (1 request)")
    schema_error = page.alert_text("valid JSON Schema")
    assert schema_error.startswith("Schema Doc must be a valid JSON Schema: ")
    assert page.driver.find_elements("xpath", f"//p[@role='alert'][normalize-space()='{name_error}']") == []
    set_editor_text(page, '{"type": "object", "required": ["name"]}', label="JSON Schema")
    page.click("Create schema doc (1 request)")
    page.wait_for_text("Use it")
    page.choose("Attach to collection", "People")
    page.click("Attach (1 request)")
    page.alert_text("Attached")

    page.driver.get(f"{page.base_url}/console#/new?collection={collection['record']}")
    page.wait_for_text("New bin")
    set_editor_text(page, '{"age": 3}')
    page.click("Create bin (1 request)")
    assert page.alert_text("Schema Doc Validation Mismatch").startswith("Schema Doc Validation Mismatch: name:undefined")


def test_usage_shows_requests_left_and_a_days_log(page, local_stack):
    key = new_account(local_stack).master_key
    create_bin(local_stack, key, {"v": 1})
    sign_in(page, key)
    page.link("Usage").click()
    page.wait_for_text("Requests left")
    # make run delivers usage lines every half second: until then the answer is "No logs found".
    def a_day():
        show = page.button("Show the days with a log (1 request)")
        if show.get_attribute("aria-busy"):
            return None
        days = page.driver.find_elements("css selector", "ul.days button")
        if not days:
            show.click()
        return days

    eventually(page, a_day)[0].click()
    page.wait_for_text("POST")
    page.wait_for_text("/v3/b")


def test_on_a_phone_sized_screen_nothing_overflows_sideways(page, local_stack):
    key = new_account(local_stack).master_key
    bin_id = create_bin(local_stack, key, {"sample": "small screen"}, **{"X-Bin-Name": "a rather long bin name that must wrap"})
    page.driver.set_window_size(390, 844)
    sign_in(page, key)
    open_bin(page, bin_id)
    page.screenshot("console-phone")
    width, viewport = page.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport
    set_editor_text(page, '{"sample": "saved from a phone"}')
    page.click("Save (1 request)")
    page.alert_text("Saved")


def test_the_keyboard_alone_signs_in_and_reaches_a_bin(page, local_stack):
    key = new_account(local_stack).master_key
    bin_id = create_bin(local_stack, key, {"v": 1}, **{"X-Bin-Name": "by keyboard"})
    page.open_console()
    active = page.driver.switch_to.active_element
    assert active.accessible_name == KEY_FIELD  # focus starts in the key field
    active.send_keys(key, Keys.ENTER)
    page.wait_for_text("by keyboard")
    # Tab from the view's heading to the bin's link, and open it with Enter.
    for _ in range(40):
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
        if page.driver.switch_to.active_element.accessible_name == "by keyboard":
            break
    else:
        pytest.fail("Tab never reached the bin's link")
    ActionChains(page.driver).send_keys(Keys.ENTER).perform()
    page.wait_for_text(bin_id)
    page.wait_for_text("Bin id")
    bin_view = page.screenshot("console-bin")
    assert bin_view is None or bin_view.exists()


def test_a_key_revoked_while_signed_in_is_said_so(page, local_stack):
    account = new_account(local_stack)
    bin_id = create_bin(local_stack, account.master_key, {"v": 1})
    _, _, created = call(local_stack, account.master_key, "POST", "/v3/a",
                         {"bins": {"create": False, "read": True, "update": True, "delete": False}},
                         {"X-Key-Name": "leaked"})
    sign_in(page, created["accessKey"])
    open_bin(page, bin_id)
    call(local_stack, account.master_key, "DELETE", f"/v3/a/{created['accessKeyId']}")
    set_editor_text(page, '{"v": 2}')
    page.click("Save (1 request)")
    assert page.alert_text("Invalid X-Access-Key") == "Invalid X-Access-Key provided or the bin does not belong to your account"
    page.alert_text("The API refused the key")
    assert stored(local_stack, account.master_key, bin_id) == {"v": 1}


@pytest.mark.parametrize("typed", ["100%", "%E0%A4%A", "..", ".", "a/b", "../../v3/me"])
def test_an_id_that_is_no_bin_id_gets_an_answer_and_reaches_no_other_route(page, local_stack, typed):
    key = new_account(local_stack).master_key
    sign_in(page, key)
    before = requests_left(local_stack, key)
    page.fill("Open a bin by id", typed)
    page.click("Open")
    eventually(page, lambda: "Nothing here" in page.text() or page.driver.find_elements(
        "xpath", "//main//p[@role='alert'][normalize-space()]"))
    requested = [entry["message"] for entry in page.browser_log() if "/v3/" in entry["message"]]
    assert not [line for line in requested if "/v3/b/" not in line and "/v3/me" not in line and "/v3/c" not in line]
    assert requests_left(local_stack, key) == before  # nothing was read
