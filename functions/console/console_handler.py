"""The web console's files: GET /console (the page) and GET /console/{asset+} (what it loads).

Static files only. This function has no access to any table or bucket: the page it serves talks to
the API at the same origin with the user's own key, so the console can do nothing a client could
not. Every answer, the 404 too, carries the security headers (SECURITY_HEADERS).

The files are read once, at cold start, into a map from URL path to file; a request is answered
from that map by exact lookup, so a path can name only a file that was there at start
(no `..`, no symlink, no other directory is ever opened).
"""

import base64
import gzip
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"
PREFIX = "/console"

# A strict policy: scripts, styles, images and API calls from this origin only; no inline script
# or style (Ace runs in its strict-CSP mode, with its CSS as files); nothing may frame the page.
# data: images: Ace's CSS draws a few gutter icons with them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Strict-Transport-Security": "max-age=31536000",
}

# Only these kinds of file are served; anything else in site/ is not published.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
BINARY_SUFFIXES = {".png"}

# Vendored libraries live under a versioned folder (vendor/ace-1.45.2/...): a new version is a new
# URL, so a browser may keep them a year. The console's own files change with each deploy under the
# same URL: the browser revalidates them each time (a 304 when unchanged).
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


# API Gateway's HTTP APIs do not compress answers: text files are gzipped here, once, at cold start
# (about 12 ms for the whole site; ace.js 479 KB -> 128 KB), and sent so to browsers that accept it.
# Below this size the headers outweigh the saving.
GZIP_FROM_BYTES = 1024


@dataclass(frozen=True)
class SiteFile:
    body: bytes
    content_type: str
    etag: str
    cache_control: str
    binary: bool
    gzipped: bytes | None = None  # the same file gzipped, when that is worth sending

    @property
    def gzip_etag(self) -> str:
        """Another representation, so another strong tag (RFC 9110 8.8.3)."""
        return self.etag[:-1] + '-gzip"'


def _gzipped(body: bytes, binary: bool) -> bytes | None:
    if binary or len(body) < GZIP_FROM_BYTES:
        return None
    packed = gzip.compress(body, compresslevel=9, mtime=0)  # mtime 0: the same bytes every cold start
    return packed if len(packed) < len(body) else None


def load_site(site: Path = SITE) -> dict[str, SiteFile]:
    files: dict[str, SiteFile] = {}
    for path in sorted(site.rglob("*")):
        # A link could name a file outside site/ (the function's own code, /etc/...): never published.
        if path.is_symlink() or not path.is_file() or path.suffix not in CONTENT_TYPES:
            continue
        body = path.read_bytes()
        relative = path.relative_to(site).as_posix()
        binary = path.suffix in BINARY_SUFFIXES
        files[f"{PREFIX}/{relative}"] = SiteFile(
            body=body,
            content_type=CONTENT_TYPES[path.suffix],
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            cache_control=IMMUTABLE if relative.startswith("vendor/") else REVALIDATE,
            binary=binary,
            gzipped=_gzipped(body, binary),
        )
    index = files[f"{PREFIX}/index.html"]
    files[PREFIX] = files[f"{PREFIX}/"] = index
    return files


FILES = load_site()


def _answer(status: int, headers: dict[str, str], body: str = "", binary: bool = False) -> dict:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **headers},
        "body": body,
        "isBase64Encoded": binary,
    }


NOT_THROUGH_THE_EDGE = '{"message":"Call the API at its published address: this one is not served directly"}'


def _not_found() -> dict:
    return _answer(404, {"Content-Type": "application/json", "Cache-Control": REVALIDATE}, '{"message":"Not Found"}')


def _header(event: dict, name: str) -> str:
    """A request header by its lowercase name: API Gateway lowercases header names, `sam local` (and
    so `make run`) does not."""
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == name), "")


def _came_through_the_edge(event: dict) -> bool:
    """With the edge on (template.yaml's PerIpRequestLimit), CloudFront sends X-Origin-Verify with the
    value this function is given in ORIGIN_VERIFY_TOKEN; a request without it went around CloudFront
    and its per-IP limit. Without the variable (the edge off, `make run`), every request is served.
    Compared as bytes (any text, in constant time); never logged. The API's origin.py does the same."""
    expected = os.environ.get("ORIGIN_VERIFY_TOKEN", "")
    given = _header(event, "x-origin-verify").encode("utf-8", "surrogatepass")
    return not expected or hmac.compare_digest(given, expected.encode())


def _unchanged(etag: str, if_none_match: str) -> bool:
    """If-None-Match names this file's tag, as a list of tags, weak (W/"...") or not, or `*` (RFC 9110
    13.1.2: the weak comparison). API Gateway joins repeated headers with commas."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def _accepts_gzip(accept_encoding: str) -> bool:
    """Accept-Encoding names gzip (or *) without refusing it (q=0)."""
    for coding in accept_encoding.lower().split(","):
        name, _, parameters = coding.partition(";")
        if name.strip() in ("gzip", "*"):
            quality = parameters.replace(" ", "").removeprefix("q=")
            return not (parameters and quality.strip("0.") == "")
    return False


def lambda_handler(event: dict, context) -> dict:
    if not _came_through_the_edge(event):
        return _answer(403, {"Content-Type": "application/json", "Cache-Control": REVALIDATE}, NOT_THROUGH_THE_EDGE)
    path = event.get("rawPath") or ""
    site_file = FILES.get(path)
    if site_file is None:
        return _not_found()
    # The representation to send: the file as it is, or gzipped for a client that takes it.
    body, etag, binary = site_file.body, site_file.etag, site_file.binary
    headers = {"Content-Type": site_file.content_type, "Cache-Control": site_file.cache_control}
    if site_file.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"  # a cache keeps the two representations apart
        if _accepts_gzip(_header(event, "accept-encoding")):
            body, etag, binary = site_file.gzipped, site_file.gzip_etag, True
            headers["Content-Encoding"] = "gzip"
    headers["ETag"] = etag
    if _unchanged(etag, _header(event, "if-none-match")):
        return _answer(304, headers)
    if binary:
        return _answer(200, headers, base64.b64encode(body).decode("ascii"), binary=True)
    return _answer(200, headers, body.decode("utf-8"))


if __name__ == "__main__":  # the list of published files, for a look: python console_handler.py
    print(json.dumps(sorted(FILES), indent=1))
