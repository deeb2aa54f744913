"""Fuzzing the HTTP surface: schemathesis generates requests from openapi.yaml and sends them to the
local stack `make run` serves. No answer may be a 5xx; every answer must be one openapi.yaml
documents, errors in the `{"message": ...}` envelope. Bounded: a few dozen examples per route."""

from pathlib import Path

import pytest
import schemathesis
from binstore import bins, provisioning
from binstore.access import Credentials
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[2]
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


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_route_answers_5xx_or_off_its_contract(case, local_stack, fuzz_account):
    aim(case, *fuzz_account)
    case.call_and_validate(base_url=local_stack.url, checks=CHECKS, timeout=30)
