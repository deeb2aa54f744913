"""The web console's files (functions/console/console_handler.py), invoked in process with the events
API Gateway sends it: every file published under site/ and nothing else, each with its type, its
caching and the security headers, 304s on a matching tag, PNGs through base64, and hostile paths
answered 404, never 5xx, never a byte from outside site/.

The expected headers, policy directives and cache values are written out here, not read back from
the module alone: a header dropped there, or loosened, fails here.
"""

import base64
import gzip
import json
import os
import subprocess
import sys

import pytest

import console_handler
from console_handler import FILES, SECURITY_HEADERS, SITE, load_site
from tests.hostile import CONSOLE_HOSTILE_PATHS_IN_PROCESS
from tests.support import ROOT
from tests.support.events import console_event

PAGE_PATHS = ("/console", "/console/")  # both answer index.html (tests/http/test_console.py says why)
PUBLISHED = sorted(path for path in FILES if path not in PAGE_PATHS)
# The module's table again, on purpose: the oracle, so a type changed or a suffix added there fails here.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
# Every answer carries these, 404s and 304s included.
EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_FOUND = '{"message":"Not Found"}'


def get(path: str, **headers: str) -> dict:
    return console_handler.lambda_handler(console_event(path, headers), None)


def on_disk(path: str) -> bytes:
    return (SITE / path.removeprefix("/console/")).read_bytes()


def body_bytes(response: dict) -> bytes:
    if response["isBase64Encoded"]:
        return base64.b64decode(response["body"], validate=True)
    return response["body"].encode("utf-8")


def policy(response: dict) -> dict[str, list[str]]:
    """The Content-Security-Policy's directives: name -> its sources."""
    directives = [part.split() for part in response["headers"]["Content-Security-Policy"].split(";")]
    return {words[0]: words[1:] for words in directives if words}


def assert_secured(response: dict) -> None:
    headers = response["headers"]
    assert headers.items() >= SECURITY_HEADERS.items()
    assert headers.items() >= EXPECTED_HEADERS.items()
    directives = policy(response)
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]


def test_the_content_security_policy_is_strict():
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp.split("; "), directive
    assert policy(get("/console")) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Ace's CSS draws a few gutter icons as data: images; no script or style is ever data: or inline.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # the API, same origin: no CORS, no key sent elsewhere
        "font-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    for unsafe in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "wasm-unsafe-eval", "*", "http:", "https:"):
        assert unsafe not in csp.replace("'", " ").split(), unsafe
    assert set(SECURITY_HEADERS) == {"Content-Security-Policy", "Permissions-Policy", *EXPECTED_HEADERS}


@pytest.mark.parametrize("path", PUBLISHED)
def test_every_published_file_answers_200_with_its_type_its_bytes_and_the_security_headers(path):
    response = get(path)
    assert response["statusCode"] == 200
    assert_secured(response)
    suffix = os.path.splitext(path)[1]
    assert response["headers"]["Content-Type"] == CONTENT_TYPES[suffix]
    assert body_bytes(response) == on_disk(path)
    assert response["headers"]["ETag"] == FILES[path].etag


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_the_page_is_index_html(path):
    response = get(path)
    assert response["statusCode"] == 200
    assert_secured(response)
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert body_bytes(response) == on_disk("/console/index.html")
    assert response["headers"]["Cache-Control"] == "no-cache"


def test_an_unknown_file_is_a_json_404_with_the_security_headers():
    response = get("/console/nope.js")
    assert (response["statusCode"], response["body"], response["isBase64Encoded"]) == (404, NOT_FOUND, False)
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-cache"
    assert "ETag" not in response["headers"]
    assert_secured(response)


@pytest.mark.parametrize("path", ["/console", "/console/js/main.js", "/console/vendor/ace-1.45.2/ace.js",
                                  "/console/vendor/ace-1.45.2/css/main-1.png"])
@pytest.mark.parametrize("form", ["exact", "in a list", "weak", "any"])
def test_a_matching_if_none_match_is_a_304_with_no_body(path, form):
    etag = FILES[path].etag
    if_none_match = {"exact": etag, "in a list": f'"other", {etag} ,"more"', "weak": f"W/{etag}", "any": "*"}[form]
    response = get(path, **{"If-None-Match": if_none_match})
    assert response["statusCode"] == 304
    assert (response["body"], response["isBase64Encoded"]) == ("", False)
    assert response["headers"]["ETag"] == etag
    assert response["headers"]["Cache-Control"] == FILES[path].cache_control
    assert_secured(response)


def test_header_names_are_read_in_any_case():
    """API Gateway lowercases them; `sam local`, and so make run, passes them as the client wrote them."""
    etag = FILES["/console/console.css"].etag
    for name in ("if-none-match", "If-None-Match", "IF-NONE-MATCH"):
        event = console_event("/console/console.css")
        event["headers"] = {"Accept": "text/css", name: etag}
        assert console_handler.lambda_handler(event, None)["statusCode"] == 304, name


@pytest.mark.parametrize("if_none_match", ["stale", "another file's", "unquoted", "empty", "a prefix"])
def test_a_tag_that_does_not_match_gets_the_whole_file(if_none_match):
    path = "/console/js/main.js"
    etag = FILES[path].etag
    sent = {"stale": '"' + "0" * 32 + '"', "another file's": FILES["/console/console.css"].etag,
            "unquoted": etag.strip('"'), "empty": "", "a prefix": etag[:10] + '"'}[if_none_match]
    response = get(path, **{"If-None-Match": sent})
    assert response["statusCode"] == 200
    assert body_bytes(response) == on_disk(path)
    assert_secured(response)


def test_a_tag_names_its_files_content():
    bodies = {site_file.body: site_file.etag for site_file in FILES.values()}
    assert len(set(bodies.values())) == len(bodies)  # one tag per content
    assert all(etag.startswith('"') and etag.endswith('"') and len(etag) == 34 for etag in bodies.values())


@pytest.mark.parametrize("path", PUBLISHED)
def test_vendored_files_are_immutable_and_the_consoles_own_are_revalidated(path):
    cache_control = get(path)["headers"]["Cache-Control"]
    if path.startswith("/console/vendor/"):
        # Immutable only because the URL names the version: a new version is a new URL.
        library = path.removeprefix("/console/vendor/").split("/")[0]
        name, _, version = library.rpartition("-")
        assert name and version.replace(".", "").isdigit() and version.count(".") == 2, library
        assert cache_control == IMMUTABLE
    else:
        assert cache_control == "no-cache"


def test_png_files_travel_as_base64_and_arrive_byte_for_byte():
    pngs = [path for path in PUBLISHED if path.endswith(".png")]
    assert pngs
    for path in pngs:
        response = get(path)
        assert response["isBase64Encoded"] is True, path
        decoded = base64.b64decode(response["body"], validate=True)
        assert decoded == on_disk(path) and decoded.startswith(b"\x89PNG\r\n\x1a\n"), path
    assert not [path for path in PUBLISHED if not path.endswith(".png") and get(path)["isBase64Encoded"]]


@pytest.mark.parametrize("path", CONSOLE_HOSTILE_PATHS_IN_PROCESS, ids=lambda path: repr(path[:60]))
def test_hostile_paths_are_a_404_never_a_file(path):
    for headers in ({}, {"If-None-Match": "*"}):
        response = get(path, **headers)
        assert (response["statusCode"], response["body"]) == (404, NOT_FOUND), path[:200]
        assert_secured(response)


def test_an_event_without_headers_or_path_is_answered():
    assert console_handler.lambda_handler({"rawPath": "/console"}, None)["statusCode"] == 200
    assert console_handler.lambda_handler({"rawPath": "/console", "headers": None}, None)["statusCode"] == 200
    missing = console_handler.lambda_handler({}, None)
    assert (missing["statusCode"], missing["body"]) == (404, NOT_FOUND)


def test_only_these_kinds_of_file_are_served_with_these_types():
    assert console_handler.CONTENT_TYPES == CONTENT_TYPES
    assert console_handler.BINARY_SUFFIXES == {".png"}


def test_every_file_in_site_with_a_served_suffix_is_published_and_nothing_else():
    expected = set()
    for directory, _, names in os.walk(SITE):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), SITE).replace(os.sep, "/")
            if os.path.splitext(name)[1] in CONTENT_TYPES:
                expected.add(f"/console/{relative}")
    assert "/console/vendor/ace-1.45.2/ace.js" in expected and "/console/index.html" in expected
    assert set(PUBLISHED) == expected
    assert set(FILES) == expected | set(PAGE_PATHS)
    # Every body is the file of its own path under site/; the function's own code is none of them.
    for path in PUBLISHED:
        assert FILES[path].body == on_disk(path), path
    handler_code = (SITE.parent / "console_handler.py").read_bytes()
    assert not [path for path, site_file in FILES.items() if site_file.body == handler_code]
    # The vendored libraries' licenses are served beside their code; the maintainers' notes are not.
    assert {"/console/vendor/ace-1.45.2/LICENSE.txt", "/console/vendor/diff-9.0.0/LICENSE.txt"} <= set(FILES)
    assert "/console/vendor/README.md" not in FILES


def test_a_link_in_site_is_never_published(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text("secret")
    site = tmp_path / "site"
    (site / "js").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html>")
    (site / "js" / "main.js").write_text("main")
    (site / "js" / "linked.js").symlink_to(outside / "secret.js")
    (site / "linked-folder").symlink_to(outside, target_is_directory=True)
    (site / "handler.js").symlink_to(SITE.parent / "console_handler.py")
    files = load_site(site)
    assert set(files) == {"/console", "/console/", "/console/index.html", "/console/js/main.js"}
    assert not [site_file for site_file in files.values() if b"secret" in site_file.body]


def test_every_answer_fits_lambdas_response_limit():
    """Lambda refuses a synchronous answer over 6 MB (the JSON payload, base64 and escapes included)."""
    sizes = {path: len(json.dumps(get(path)).encode()) for path in PUBLISHED}
    largest = max(sizes, key=sizes.__getitem__)
    assert largest == "/console/vendor/ace-1.45.2/ace.js"
    assert sizes[largest] < 6 * 1024 * 1024 // 4  # a quarter of the limit: room for the console to grow


def test_the_console_runs_on_the_standard_library_alone():
    """Imported with no site-packages at all (python -S) and only its own folder on the path: no
    binstore, no boto3, no Powertools; every module loaded is Python's own."""
    probe = ("import json, sys; import console_handler;"
             "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(ROOT / "functions" / "console"), "PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert {"console_handler", "base64", "hashlib"} <= loaded
    assert loaded - {"console_handler", "__main__"} <= sys.stdlib_module_names


GZIPPED = sorted(path for path in PUBLISHED if FILES[path].gzipped is not None)


def test_text_files_over_a_kilobyte_are_offered_gzipped_and_images_never():
    assert "/console/vendor/ace-1.45.2/ace.js" in GZIPPED and "/console/js/main.js" in GZIPPED
    for path in PUBLISHED:
        size, binary = len(on_disk(path)), path.endswith(".png")
        assert (path in GZIPPED) == (not binary and size >= 1024 and len(gzip.compress(on_disk(path))) < size), path


@pytest.mark.parametrize("path", GZIPPED)
def test_a_browser_that_accepts_gzip_gets_the_file_gzipped_with_its_own_tag(path):
    response = get(path, **{"accept-encoding": "gzip, deflate, br, zstd"})
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert (headers["Content-Encoding"], headers["Vary"]) == ("gzip", "Accept-Encoding")
    assert gzip.decompress(body_bytes(response)) == on_disk(path)
    assert len(body_bytes(response)) < len(on_disk(path))
    plain = get(path)
    assert headers["ETag"] != plain["headers"]["ETag"]  # two representations, two strong tags
    assert (plain["headers"]["Vary"], "Content-Encoding" in plain["headers"]) == ("Accept-Encoding", False)
    assert body_bytes(plain) == on_disk(path)
    assert_secured(response)


@pytest.mark.parametrize("accept_encoding", ["", "br", "identity", "gzip;q=0", "gzip; q=0.0, br", "deflate"])
def test_without_gzip_accepted_the_file_is_sent_as_it_is(accept_encoding):
    response = get("/console/vendor/ace-1.45.2/ace.js", **{"accept-encoding": accept_encoding})
    assert "Content-Encoding" not in response["headers"]
    assert body_bytes(response) == on_disk("/console/vendor/ace-1.45.2/ace.js")


@pytest.mark.parametrize("accept_encoding", ["gzip", "GZIP", "*", "gzip;q=0.5", "br;q=1, gzip;q=0.001"])
def test_gzip_is_sent_whenever_it_is_accepted(accept_encoding):
    response = get("/console/vendor/ace-1.45.2/ace.js", **{"Accept-Encoding": accept_encoding})
    assert response["headers"]["Content-Encoding"] == "gzip"


def test_a_gzipped_files_tag_revalidates_the_gzipped_file_only():
    path = "/console/js/main.js"
    gzipped = get(path, **{"accept-encoding": "gzip"})["headers"]["ETag"]
    again = get(path, **{"accept-encoding": "gzip", "if-none-match": gzipped})
    assert (again["statusCode"], again["body"], again["headers"]["Content-Encoding"]) == (304, "", "gzip")
    assert_secured(again)
    plain = get(path, **{"if-none-match": gzipped})  # the tag of the other representation
    assert (plain["statusCode"], body_bytes(plain)) == (200, on_disk(path))
