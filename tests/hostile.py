"""Hostile values for every header and path parameter of every route, from template.yaml itself.

Shared by the in-process fuzz test (tests/handler/test_hostile_values.py, every value everywhere)
and the HTTP one (tests/http/test_fuzz.py, the same through make run's API Gateway emulation).
"""

import re
from functools import cache

import yaml
from local.template import ROOT, load_template

_TEMPLATE = load_template()
ROUTES = sorted((event["Properties"]["Method"], event["Properties"]["Path"])
                for event in _TEMPLATE["Resources"]["BinsFunction"]["Properties"]["Events"].values())
# Every request header the API reads is one browsers may send, so CORS lists them all.
HEADERS = sorted(_TEMPLATE["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["AllowHeaders"])
PATH_PARAMETERS = sorted({name for _, path in ROUTES for name in re.findall(r"\{(\w+)\}", path)})

# What an attacker tries: numbers no int() should meet, nesting, regex and JSONPath operators,
# references out of the function, and the odd bytes. Printable ASCII, as HTTP carries headers.
HOSTILE = [
    "9" * 5000,
    "0" * 5000 + "1",
    "-" + "9" * 40,
    "1e400",
    "[" * 3000,
    '{"a":' * 500,
    "(a+)+$",
    "$..a..a..a..a..b",
    "$..*",
    "$[?(@.a =~ /(a+)+$/)]",
    "$.`split(,)`",
    "$.f * 10",
    "$" + "[0,0,0,0,0,0,0,0,0,0]" * 40,
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "../../etc/passwd",
    '"' * 50,
    'W/"1", "02", *',
    " true ",
    "%00%ff",
    "a" * 4000,
]
# Only in-process: what HTTP clients refuse to send in a header.
HOSTILE_IN_PROCESS = [*HOSTILE, "", "\x00", "ü\u202e\ud800"]


def path_for(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: values[match[1]], path)


@cache
def headers_read(method: str, path: str) -> frozenset[str]:
    """The headers a route reads, lowercased, as openapi.yaml declares them (its own and the shared
    components it names), with Content-Type on the routes that take a body."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    components = spec["components"]["parameters"]
    operation = spec["paths"][path][method.lower()]
    read = set()
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = components[parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "header":
            read.add(parameter["name"].lower())
    if "requestBody" in operation:
        read.add("content-type")
    return frozenset(read)


# Paths an attacker tries on the console's routes (GET /console/{asset+}, served by ConsoleFunction,
# which the routes above leave out): out of site/ and into the function's own code, encoded once or
# twice, with encoded slashes, NUL, backslashes, overlong UTF-8, absolute paths, long and non-ASCII.
# None may answer 5xx, nor anything but the console's own files. As sent: HTTP can carry each.
CONSOLE_HOSTILE_PATHS = [
    "/console/..",
    "/console/../console_handler.py",
    "/console/../../../../etc/passwd",
    "/console/" + "../" * 40 + "etc/passwd",
    "/console/%2e%2e/console_handler.py",
    "/console/%2e%2e%2fconsole_handler.py",
    "/console/..%2fconsole_handler.py",
    "/console/%252e%252e%252fconsole_handler.py",
    "/console/%c0%ae%c0%ae/console_handler.py",
    "/console/vendor/../index.html",
    "/console/vendor/%2e%2e/index.html",
    "/console/vendor%2f..%2findex.html",
    "/console/js%2fmain.js",
    "/console/./index.html",
    "/console//index.html",
    "/console/index.html/",
    "/console/INDEX.HTML",
    "/console/console_handler.py",
    "/console/site/index.html",
    "/console/functions/console/console_handler.py",
    "/console/vendor/README.md",
    "/console/vendor/ace-1.45.2/LICENSE",
    "/console//etc/passwd",
    "/console/%2fetc%2fpasswd",
    "/console/file:%2f%2f%2fetc%2fpasswd",
    "/console/..%5cconsole_handler.py",
    "/console/C:%5cWindows%5cwin.ini",
    "/console/%00",
    "/console/index.html%00.png",
    "/console/%ff%fe",
    "/console/%C3%BCn%C3%AFc%C3%B6de/%E2%98%83.js",
    "/console/%E2%80%AEindex.html",
    "/console/" + "a" * 100_000,
    "/console/" + "a/" * 20_000,
]
# In process only: what an HTTP client will not put in a request line, and paths API Gateway never
# routes to the console (its function must still refuse them, whoever invokes it).
CONSOLE_HOSTILE_PATHS_IN_PROCESS = [
    *CONSOLE_HOSTILE_PATHS,
    "",
    "/",
    "/console/\x00",
    "/console/index.html\x00",
    "/console/..\\console_handler.py",
    "/console/vendor\\..\\index.html",
    "/console/ünïcödé/☃.js",
    "/console/\u202eindex.html",
    "/console/\ud800",
    "/console/\n../console_handler.py",
    "/etc/passwd",
    "/v3/me",
    "console/index.html",
    "//console/index.html",
    "/console/index.html?x=1",
    "/Console/index.html",
    "/console/index.html ",
    str(ROOT / "functions" / "console" / "console_handler.py"),
    str(ROOT / "functions" / "console" / "site" / "index.html"),
]
