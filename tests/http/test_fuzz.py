"""Fuzzing the HTTP surface: schemathesis generates requests from openapi.yaml and sends them to the
local stack `make run` serves. No answer may be a 5xx; every answer must be one openapi.yaml
documents, errors in the `{"message": ...}` envelope. Bounded: a few dozen examples per route."""

import json
import urllib.parse
from datetime import UTC, datetime

import pytest
import schemathesis
from binstore import bins, collections, provisioning, schema_docs
from binstore.access import Credentials
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from tests.hostile import HEADERS, PATH_PARAMETERS, ROUTES, headers_read, path_for
from tests.support import ROOT
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_account(local_stack):
    """An account and bin of the fuzzer's own, so generated requests can get past authentication."""
    store = local_stack.store()
    created = provisioning.create_account(store, "pro", 1_000_000)
    credentials = Credentials(master_key=created.master_key)
    bin_id = bins.create_bin(store, credentials, b'{"fuzz": true}', private=True).bin.bin_id
    return created.master_key, bin_id


def aim(case, master_key: str, bin_id: str) -> None:
    """Point half the generated requests at a real bin with a real key, so they reach the domain."""
    if case.headers and "X-Master-Key" in case.headers:
        case.headers["X-Master-Key"] = master_key
    if case.path_parameters and len(str(case.path_parameters.get("binId", ""))) % 2 == 0:
        case.path_parameters["binId"] = bin_id
    if case.path_parameters and len(str(case.path_parameters.get("day", ""))) % 2 == 0:
        case.path_parameters["day"] = datetime.now(UTC).strftime("%d-%m-%Y")  # a day with a log


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_route_answers_5xx_or_off_its_contract(case, local_stack, fuzz_account):
    aim(case, *fuzz_account)
    case.call_and_validate(base_url=local_stack.url, checks=CHECKS, timeout=30)


# Hostile values, not only schema-valid ones: the nastiest few of tests/hostile.py in every header and
# path parameter of every route, through make run's API Gateway emulation (the handler test sends all
# of them, in-process).
HTTP_HOSTILE = ["9" * 5000, "0" * 5000 + "1", "[" * 3000, "$[?(@.a =~ /(a+)+$/)]"]


@pytest.mark.parametrize("method, path", ROUTES)
def test_hostile_values_in_every_header_and_path_parameter_over_http(local_stack, fuzz_account, method, path):
    master_key, _ = fuzz_account
    store, credentials = local_stack.store(), Credentials(master_key=master_key)
    doc_id = schema_docs.create_schema_doc(store, credentials, "S", b'{"type": "object"}').schema_doc_id
    collection_id = collections.create_collection(store, credentials, "C").collection_id
    collections.attach_schema_doc(store, credentials, collection_id, doc_id)
    bin_id = bins.create_bin(store, credentials, b'{"a": 0}').bin.bin_id
    ids = {"binId": bin_id, "collectionId": collection_id, "schemaDocId": doc_id, "version": "latest",
           "accessKeyId": "0123456789abcdef", "lastBinId": bin_id, "day": datetime.now(UTC).strftime("%d-%m-%Y")}
    # The headers the route reads one by one; those it ignores all at once (see test_hostile_values.py).
    read = headers_read(method, path)
    slots = [("header", [name]) for name in sorted(read)] + [("header", [h for h in HEADERS if h not in read])] + \
            [("path", [name]) for name in PATH_PARAMETERS if "{" + name + "}" in path]
    for kind, names in slots:
        for value in HTTP_HOSTILE:
            values = {**ids, names[0]: urllib.parse.quote(value, safe="")} if kind == "path" else ids
            headers = {"Content-Type": "application/json", "X-Master-Key": master_key}
            if kind == "header":
                headers.update(dict.fromkeys(names, value))
            status, response_headers, body = local_stack.request_bytes(method, path_for(path, values),
                                                                 b'{"a": 1}' if method in ("POST", "PUT") else None,
                                                                 headers)
            assert status < 500, (method, path, names, value[:20], body)
            if status >= 400:
                assert set(json.loads(body)) - {"schemaDocID", "schemaDocName"} == {"message"}
