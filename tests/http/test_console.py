"""The web console over HTTP, as `make run` serves it: SAM's API Gateway emulation routes GET /console
and GET /console/{asset+} to ConsoleFunction, which answers from its files with the security headers.

How API Gateway (HTTP API) routes these paths, which SAM's emulation follows here:
- The route with the greedy variable, /console/{asset+}, catches the paths below /console/ ("all child
  resources of a route"; AWS's "Create routes for HTTP APIs" guide). An exact route match wins over
  a greedy one, and a request no route matches is API Gateway's own {"message":"Not Found"}.
- /console/ (a trailing slash, no child): API Gateway routes it as /console, handing the function the
  path as sent, slash included (reported in aws-powertools/powertools-lambda-python#1552 and #1577;
  a route cannot itself end in /). SAM's Flask gateway does the same (its url_map has
  strict_slashes off), and the function answers /console/ with the page too.
- The path reaches the function percent-decoded, in rawPath as in pathParameters (AWS: "API Gateway
  decodes URL-encoded request parameters"; HTTP APIs decode rawPath too, unlike REST APIs and
  function URLs, as live captures show: middleapi/standard-server#93). SAM does the same, so
  /console/js%2fmain.js is /console/js/main.js by the time the function looks it up: a published
  file either way. Dot segments are not resolved: /console/../v3/me stays on the console's route.
"""

import gzip
import json
import urllib.parse

import pytest
from tests.hostile import CONSOLE_HOSTILE_PATHS
from tests.support import ROOT

SITE = ROOT / "functions" / "console" / "site"
# Checked literally, as in tests/handler/test_console.py: they must survive the gateway.
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NOT_FOUND = {"message": "Not Found"}


def assert_secured(headers: dict) -> None:
    assert headers.items() >= SECURITY.items()
    policy = headers["Content-Security-Policy"].split("; ")
    assert {"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} <= set(policy)
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_the_page_answers_at_console_and_with_a_trailing_slash(local_stack, path):
    status, headers, body = local_stack.request_bytes("GET", path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (SITE / "index.html").read_bytes()
    assert headers["Cache-Control"] == "no-cache" and headers["ETag"]
    assert_secured(headers)


def test_a_png_arrives_byte_for_byte_and_a_vendored_file_is_immutable(local_stack):
    path = "/console/vendor/ace-1.45.2/css/main-1.png"
    status, headers, body = local_stack.request_bytes("GET", path)
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert body == (SITE / path.removeprefix("/console/")).read_bytes() and body.startswith(b"\x89PNG")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_secured(headers)
    status, headers, body = local_stack.request_bytes("GET", "/console/vendor/ace-1.45.2/ace.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert body == (SITE / "vendor" / "ace-1.45.2" / "ace.js").read_bytes()
    # Gzipped for a client that asks (browsers do): through the gateway, decompressed by the client.
    status, headers, body = local_stack.request_bytes(
        "GET", "/console/vendor/ace-1.45.2/ace.js", headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"], headers["Vary"]) == (200, "gzip", "Accept-Encoding")
    assert gzip.decompress(body) == (SITE / "vendor" / "ace-1.45.2" / "ace.js").read_bytes()
    assert len(body) < 150_000


def test_a_revalidation_with_the_files_tag_is_a_304(local_stack):
    _, headers, _ = local_stack.request_bytes("GET", "/console/js/main.js")
    status, answered, body = local_stack.request_bytes("GET", "/console/js/main.js",
                                                       headers={"If-None-Match": headers["ETag"]})
    assert (status, body, answered["ETag"]) == (304, b"", headers["ETag"])
    assert_secured(answered)
    status, _, body = local_stack.request_bytes("GET", "/console/js/main.js", headers={"If-None-Match": '"stale"'})
    assert (status, body) == (200, (SITE / "js" / "main.js").read_bytes())


def test_an_unknown_file_is_the_consoles_json_404_with_its_headers(local_stack):
    status, headers, body = local_stack.request("GET", "/console/nope")
    assert (status, json.loads(body)) == (404, NOT_FOUND)
    assert headers["Content-Type"] == "application/json"
    assert_secured(headers)  # the function's answer, not the gateway's (which carries no policy)


def test_a_path_climbing_out_of_the_console_does_not_reach_the_api(local_stack):
    """With a valid master key, /v3/me would answer 200 from the API: the console's route keeps it."""
    key = {"X-Master-Key": local_stack.master_key}
    for path in ("/console/../v3/me", "/console/%2e%2e/v3/me", "/console/..%2fv3%2fme"):
        status, headers, body = local_stack.request("GET", path, headers=key)
        assert (status, json.loads(body)) == (404, NOT_FOUND), path
        assert_secured(headers)
    assert local_stack.request("GET", "/v3/me", headers=key)[0] == 200  # the key is good


@pytest.mark.parametrize("path", CONSOLE_HOSTILE_PATHS, ids=lambda path: repr(path[:60]))
def test_hostile_paths_never_fail_and_never_serve_a_file_from_outside_site(local_stack, path):
    status, headers, body = local_stack.request_bytes("GET", path)
    assert status < 500, path[:200]
    if status == 200:  # an encoded slash, decoded on the way: the published file of that path, no other
        decoded = urllib.parse.unquote(path)
        assert decoded.startswith("/console/") and ".." not in decoded, path
        assert body == (SITE / decoded.removeprefix("/console/")).read_bytes(), path
    elif status == 404:
        assert json.loads(body) == NOT_FOUND
        assert_secured(headers)
    else:  # a 100 KB request line: the gateway's own 414, before any function
        assert status == 414, (status, path[:200])
    assert b"lambda_handler" not in body and b"root:" not in body
