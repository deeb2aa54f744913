"""What the after-test check of the browser tests fails on (tests/browser/page.py, browser_problems): the
entries as Chromium logs them."""

import pytest
from tests.browser.page import browser_problems

ORIGIN = "http://127.0.0.1:3000"
CSP = ("security 2 Executing inline script violates the following Content Security Policy directive "
       "'script-src 'self''. The action has been blocked.")


def failed_load(path: str, status: int) -> dict:
    return {"level": "SEVERE", "source": "network",
            "message": f"{ORIGIN}{path} - Failed to load resource: the server responded with a status of {status} (X)"}


@pytest.mark.parametrize("entry", [
    {"level": "SEVERE", "source": "security", "message": CSP},
    {"level": "WARNING", "source": "security", "message": "[Report Only] Refused ... Content Security Policy ..."},
    {"level": "SEVERE", "source": "javascript", "message": "javascript 2:53 Uncaught Error: boom"},
    {"level": "SEVERE", "source": "console-api", "message": 'console-api 3:9 "could not save"'},
    failed_load("/console/js/missing.js", 404),
    failed_load("/console", 403),
    failed_load("/v3/b/0123456789abcdef01234567", 500),
    failed_load("/v3/b/0123456789abcdef01234567", 503),
])
def test_a_csp_violation_a_javascript_error_a_missing_console_file_or_a_5xx_is_a_problem(entry):
    assert browser_problems([entry], ORIGIN) == [entry["message"]]


@pytest.mark.parametrize("entry", [
    failed_load("/v3/b/0123456789abcdef01234567", 404),
    failed_load("/v3/b", 401),
    failed_load("/v3/c", 403),
    failed_load("/favicon.ico", 404),
    failed_load("/consoles", 404),  # not the console's: /console/ is
    {"level": "INFO", "source": "console-api", "message": 'console-api 1:1 "ready"'},
    {"level": "WARNING", "source": "deprecation", "message": "something is deprecated"},
])
def test_api_refusals_and_what_is_not_severe_are_no_problem(entry):
    assert browser_problems([entry], ORIGIN) == []
