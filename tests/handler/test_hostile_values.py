"""Every hostile value in every header and every path parameter of every route, through the handler.

No answer may be a 5xx; every refusal is `{"message": ...}` and spends nothing. The other headers
are valid (a real master key, real ids), so each hostile value gets as deep as it can: one by one
in the headers a route reads (as openapi.yaml declares them), and all at once in the headers it
ignores, which cannot stop one another (one request a value, not one a value and header).
"""

import json

import pytest
from tests.support.events import api_event
from tests.hostile import HEADERS, HOSTILE_IN_PROCESS, PATH_PARAMETERS, ROUTES, headers_read, path_for


@pytest.fixture
def target(pro):
    doc_id = pro.create_schema_doc({"type": "object"})
    collection_id = pro.create_collection(doc_id)
    ids = {"binId": pro.create_bin({"a": 1}), "collectionId": collection_id,
           "schemaDocId": doc_id, "version": "latest", "accessKeyId": pro.create_access_key("read").split(".")[1],
           "lastBinId": pro.create_bin({"a": 1}, collection_id=collection_id), "day": "26-11-2026"}
    assert set(ids) == set(PATH_PARAMETERS)
    # A day with a usage log, so that its download gets as deep as it can.
    from local.usage_delivery import UsagePipeline

    line = {"usage": {"account": pro.account_id, "day": "2026-11-26", "time": "2026-11-26T10:00:00.000Z",
                      "method": "GET", "route": "/v3/c", "binId": None, "status": 200}}
    UsagePipeline().deliver(pro.store.s3, [json.dumps(line)])
    return ids


def body_for(method: str, path: str):
    if method not in ("POST", "PUT") or "/meta/" in path or "/schemadoc/" in path or path == "/v3/c":
        return None
    if path == "/v3/a":
        return {"bins": {"read": True}}
    return {"type": "object"} if path.startswith("/v3/s") else {"a": 2}


def valid_headers(pro, target) -> dict:
    return {"x-master-key": pro.master_key, "x-bin-private": "true", "x-bin-name": "n", "x-collection-name": "c",
            "x-schema-doc-name": "s", "x-schema-doc-id": target["schemaDocId"], "x-key-name": "k"}


# Routes that spend nothing when they succeed: our extension that says what the calling key is, and
# deleting an access key (an account out of requests must still be able to revoke a leaked one).
FREE = {"GET /v3/me", "DELETE /v3/a/{accessKeyId}"}


def check(invoke, event) -> bool:
    """Whether the request succeeded and spent a request; a refusal must be a JSON message, and
    never a 5xx."""
    status, headers, body = invoke(event)
    assert status < 500, (event["routeKey"], body)
    if event["routeKey"] == "GET /v3/l/{day}" and status < 400:
        return True  # a usage log's zip
    assert headers["Content-Type"] == "application/json"
    if status >= 400:
        assert set(body) - {"schemaDocID", "schemaDocName"} == {"message"} and isinstance(body["message"], str)
    return status < 400 and event["routeKey"] not in FREE


@pytest.fixture
def only_successes_spend(pro):
    """Every success spends exactly one request, every refusal none: checked once, on the total."""
    remaining = pro.requests_remaining
    successes = []
    yield successes
    assert pro.requests_remaining == remaining - sum(successes)


@pytest.mark.parametrize("method, path", ROUTES)
def test_hostile_header_values_never_answer_5xx_and_refusals_cost_nothing(invoke, pro, target, only_successes_spend,
                                                                          method, path):
    read = headers_read(method, path)
    ignored = [header for header in HEADERS if header not in read]
    assert read <= set(HEADERS)  # every header a route reads is one the gateway lets through
    for value in HOSTILE_IN_PROCESS:
        for hostile in [*([header] for header in sorted(read)), ignored]:
            headers = {**valid_headers(pro, target), **dict.fromkeys(hostile, value)}
            event = api_event(method, path_for(path, target), body_for(method, path), headers)
            event["routeKey"] = f"{method} {path}"
            only_successes_spend.append(check(invoke, event))


@pytest.mark.parametrize("method, path", [route for route in ROUTES if "{" in route[1]])
def test_hostile_path_parameters_never_answer_5xx_and_refusals_cost_nothing(invoke, pro, target, only_successes_spend,
                                                                           method, path):
    for parameter in (name for name in PATH_PARAMETERS if "{" + name + "}" in path):
        for value in HOSTILE_IN_PROCESS:
            event = api_event(method, path_for(path, {**target, parameter: value}), body_for(method, path),
                              valid_headers(pro, target))
            event["routeKey"] = f"{method} {path}"
            only_successes_spend.append(check(invoke, event))


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000, b"9" * 5000, b"1e-400",
                                  b'"\\ud800"', json.dumps({"$ref": "http://169.254.169.254/"}).encode(),
                                  b'{"$schema": 5}', b'{"$id": "file:///etc/", "$ref": "passwd"}'])
@pytest.mark.parametrize("method, path", [route for route in ROUTES if route[0] in ("POST", "PUT")])
def test_hostile_bodies_never_answer_5xx(invoke, pro, target, only_successes_spend, method, path, body):
    only_successes_spend.append(check(invoke, api_event(method, path_for(path, target), body,
                                                        valid_headers(pro, target))))
