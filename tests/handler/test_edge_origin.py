"""With the edge on (template.yaml's PerIpRequestLimit), both functions serve only requests that came
through CloudFront: those carrying X-Origin-Verify with the value the function is given in
ORIGIN_VERIFY_TOKEN. Anything else (sent straight to the execute-api URL, around the per-IP limit)
is refused with 403 before any route runs: nothing stored, nothing charged, in nobody's usage log.
Without the variable, or with it empty (the edge off, `make run`), every request is served.

The refusal's words are written out here, not read from the code: a changed message fails here.
"""

import json

import pytest

import console_handler
from tests.support.events import api_event, console_event, update_event
from tests.support.store import body_keys, master, stored_record

# 48 letters and digits, as Secrets Manager generates the real one (template.yaml's OriginVerifySecret).
TOKEN = "Zq7Rk2Wm9Tx4Lb6Hn1Vc8Pd3Jf5Gs0AyEuKoMiNtQwXrYzBh"
REFUSED = {"message": "Call the API at its published address: this one is not served directly"}
WRONG = {
    "absent": None,
    "empty": "",
    "another value of the same length": "A" * len(TOKEN),
    "one character changed": TOKEN[:-1] + ("a" if TOKEN[-1] != "a" else "b"),
    "the value in another case": TOKEN.swapcase(),
    "a prefix of it": TOKEN[:-1],
    "it and more": TOKEN + "x",
    "it with spaces around": f" {TOKEN} ",
    "it twice, as API Gateway joins a repeated header": f"{TOKEN},{TOKEN}",
}
HOSTILE = {
    "huge": "A" * 1_000_000,
    "huge and starting with it": TOKEN + "A" * 1_000_000,
    "non-ASCII": "é" * len(TOKEN),
    "emoji": "🔑" * 10,
    "a lone surrogate": "\ud800" + TOKEN,
    "a NUL byte": TOKEN + "\x00",
    "control characters": "\r\n\t" * 10,
}


@pytest.fixture
def edge(monkeypatch):
    """The edge on: the function's environment holds the value CloudFront sends."""
    monkeypatch.setenv("ORIGIN_VERIFY_TOKEN", TOKEN)


def through_the_edge(value: str | None, name: str = "x-origin-verify") -> dict:
    return {} if value is None else {name: value}


def usage_lines(capsys) -> list[str]:
    """The usage lines the API function printed since the last call (binstore.usage)."""
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"usage"')]


def stored(store) -> tuple:
    """Every bin item and every body key: what a request could have written."""
    bins = store.dynamodb.scan(TableName=store.settings.bins_table, ConsistentRead=True)["Items"]
    bodies = store.s3.list_objects_v2(Bucket=store.settings.records_bucket).get("Contents", [])
    return sorted(json.dumps(item, sort_keys=True) for item in bins), sorted(body["Key"] for body in bodies)


def requests(pro, public_bin: str, private_bin: str, origin: dict) -> dict[str, dict]:
    """One request of each kind an attacker around the limit would send: keyless public reads and
    updates (which spend the owner's requests), and the owner's own key."""
    return {
        "read a public bin without a key": api_event("GET", f"/v3/b/{public_bin}", headers=origin),
        "update a public bin without a key": update_event(public_bin, '{"scribbled": true}', origin),
        "create a bin": api_event("POST", "/v3/b", {"new": 1}, {**master(pro), **origin}),
        "update a private bin": update_event(private_bin, '{"changed": true}', {**master(pro), **origin}),
        "read a private bin": api_event("GET", f"/v3/b/{private_bin}", headers={**master(pro), **origin}),
        "describe the key": api_event("GET", "/v3/me", headers={**master(pro), **origin}),
        "an unrouted path": api_event("GET", "/v3/nothing/here", headers={**master(pro), **origin}),
    }


@pytest.fixture
def bins(pro) -> tuple[str, str]:
    return pro.create_bin({"public": "data"}, private=False), pro.create_bin({"private": "data"})


@pytest.mark.parametrize("value", [*WRONG.values(), *HOSTILE.values()], ids=[*WRONG, *HOSTILE])
def test_with_the_edge_on_a_request_without_the_right_header_is_refused_and_costs_nothing(
        edge, invoke, store, pro, bins, capsys, value):
    public_bin, private_bin = bins
    before = stored(store), pro.requests_remaining
    usage_lines(capsys)
    for kind, event in requests(pro, public_bin, private_bin, through_the_edge(value)).items():
        status, headers, body = invoke(event)
        assert (status, body) == (403, REFUSED), kind
        assert headers["Content-Type"] == "application/json" and headers["X-Content-Type-Options"] == "nosniff"
    assert (stored(store), pro.requests_remaining) == before
    assert stored_record(store, public_bin) == {"public": "data"}
    assert usage_lines(capsys) == []


@pytest.mark.parametrize("name", ["x-origin-verify", "X-Origin-Verify", "X-ORIGIN-VERIFY"])
def test_with_the_edge_on_a_request_through_cloudfront_is_served_and_charged_as_usual(
        edge, invoke, store, pro, bins, capsys, name):
    public_bin, private_bin = bins
    before = pro.requests_remaining
    usage_lines(capsys)
    answers = {kind: invoke(event) for kind, event in requests(pro, public_bin, private_bin,
                                                               through_the_edge(TOKEN, name)).items()}
    assert {kind: status for kind, (status, _, _) in answers.items()} == {
        "read a public bin without a key": 200, "update a public bin without a key": 200, "create a bin": 200,
        "update a private bin": 200, "read a private bin": 200, "describe the key": 200, "an unrouted path": 404}
    assert answers["read a private bin"][2]["record"] == {"changed": True}
    assert stored_record(store, public_bin) == {"scribbled": True}
    assert pro.requests_remaining == before - 5  # each but /v3/me and the 404, as without the edge
    assert len(usage_lines(capsys)) == 6  # the unrouted path concerns no account


@pytest.mark.parametrize("setting", ["absent", "empty"])
def test_with_the_edge_off_every_request_is_served_with_or_without_the_header(
        invoke, store, pro, bins, monkeypatch, setting):
    if setting == "absent":
        monkeypatch.delenv("ORIGIN_VERIFY_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ORIGIN_VERIFY_TOKEN", "")
    public_bin, private_bin = bins
    for origin in ({}, {"x-origin-verify": "anything"}):
        for kind, event in requests(pro, public_bin, private_bin, origin).items():
            assert invoke(event)[0] == (404 if kind == "an unrouted path" else 200), (kind, origin)
    assert body_keys(store, private_bin)


def test_a_refusal_is_logged_by_reason_and_the_value_never_is(edge, invoke, pro, bins, debug_logs):
    public_bin, _ = bins
    assert invoke(api_event("GET", f"/v3/b/{public_bin}", headers={"x-origin-verify": "guess"}))[0] == 403
    assert invoke(api_event("GET", f"/v3/b/{public_bin}", headers={"x-origin-verify": TOKEN}))[0] == 200
    logs = debug_logs()
    assert '"reason":"NotThroughTheEdge"' in logs.replace(" ", "")
    assert TOKEN not in logs and "guess" not in logs


# The console's function: its files, under the same rule (it is standard library only, so it checks
# the header itself).

def console(path: str, value: str | None, name: str = "x-origin-verify") -> dict:
    return console_handler.lambda_handler(console_event(path, through_the_edge(value, name)), None)


@pytest.mark.parametrize("value", [*WRONG.values(), *HOSTILE.values()], ids=[*WRONG, *HOSTILE])
@pytest.mark.parametrize("path", ["/console", "/console/console.css", "/console/no-such-file"])
def test_with_the_edge_on_the_console_refuses_a_request_without_the_right_header(edge, value, path):
    answer = console(path, value)
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"]) == REFUSED
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Content-Security-Policy"] == console_handler.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("name", ["x-origin-verify", "X-Origin-Verify", "X-ORIGIN-VERIFY"])
def test_with_the_edge_on_the_console_serves_its_files_through_cloudfront(edge, name):
    page = console("/console", TOKEN, name)
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert "<html" in page["body"].lower()
    assert console("/console/no-such-file", TOKEN, name)["statusCode"] == 404


@pytest.mark.parametrize("setting", ["absent", "empty"])
def test_with_the_edge_off_the_console_serves_every_request(monkeypatch, setting):
    if setting == "absent":
        monkeypatch.delenv("ORIGIN_VERIFY_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ORIGIN_VERIFY_TOKEN", "")
    assert console("/console", None)["statusCode"] == 200
    assert console("/console", "anything")["statusCode"] == 200
