"""The console opens in a real browser on `make run`'s stack, its CSP holds, and the after-test check of
the browser log (conftest.py) fails a test that broke it."""

import pytest

INLINE_SCRIPT = """
const script = document.createElement("script");
script.textContent = "window.inlineScriptRan = true";
document.body.append(script);
"""


def test_the_console_opens_with_no_csp_violation_nor_javascript_error(page):
    page.open_console()
    assert page.problems() == []


def test_the_csp_blocks_an_inline_script_and_the_browser_log_says_so(page):
    page.open_console()
    page.driver.execute_script(INLINE_SCRIPT)
    problems = page.wait_for_problem()
    assert page.driver.execute_script("return window.inlineScriptRan") is None
    assert len(problems) == 1
    assert "violates the following Content Security Policy directive" in problems[0]
    assert "script-src 'self'" in problems[0]
    page.take_problems()  # seen and checked: the after-test check has nothing left to fail on


@pytest.mark.xfail(strict=True, raises=pytest.fail.Exception,
                   reason="on purpose: the after-test browser log check must fail a test whose page broke its CSP")
def test_the_after_test_check_fails_a_test_that_left_a_csp_violation(page):
    page.open_console()
    page.driver.execute_script(INLINE_SCRIPT)
    page.wait_for_problem()


@pytest.mark.xfail(strict=True, raises=pytest.fail.Exception,
                   reason="on purpose: the after-test browser log check must fail a test whose page threw an error")
def test_the_after_test_check_fails_a_test_that_left_a_javascript_error(page):
    page.open_console()
    page.driver.execute_script("setTimeout(() => { throw new Error('uncaught on purpose'); })")
    page.wait_for_problem()


def test_api_refusals_are_no_problem_but_a_missing_console_file_is(page):
    page.open_console()
    fetch = "return fetch(arguments[0]).then((answer) => answer.status)"
    assert page.driver.execute_script(fetch, "/v3/b/0123456789abcdef01234567") == 404  # Bin not found
    refusal = page.wait_for_log("/v3/b/0123456789abcdef01234567")
    assert (refusal["level"], "status of 404" in refusal["message"]) == ("SEVERE", True)
    assert page.problems() == []

    assert page.driver.execute_script(fetch, "/console/js/no-such-module.js") == 404
    problems = page.wait_for_problem()
    assert len(problems) == 1
    assert "/console/js/no-such-module.js - Failed to load resource" in problems[0]
    page.take_problems()
