"""X-Ray tracing as an operator sees it: off, nothing is sent; on, each request is a trace whose
subsegments are the AWS calls it made, and no trace carries a key or a record.

The handler runs in a fresh interpreter made to look like Lambda with the stack's Tracing parameter
Active (what template.yaml sets: POWERTOOLS_TRACE_DISABLED, and Lambda's own trace header), sending
to an X-Ray daemon address where this test listens on UDP: what arrives there is what X-Ray would
store. A fresh interpreter, because the X-Ray SDK's switch and patches are process-wide.
"""

import json
import os
import socket
import subprocess
import sys

import pytest
from tests.support import ROOT, function_path

MASTER_KEY_MARKER = "the-record-marker-7f3a"

_PROBE = """
import json, sys
import boto3
from moto import mock_aws
from binctl.resources import local_settings
from binstore.storage import Store
from local.aws import create_resources
from local.emulation import atomic_in_process_calls
from tests.support.events import update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import Account, master

with mock_aws(), atomic_in_process_calls():
    create_resources(boto3.client("dynamodb"), boto3.client("s3"))
    store = Store(local_settings())
    account = Account(store, "pro")
    bin_id = account.create_bin({"before": 1})
    import api_handler
    api_handler.store = store
    answer = api_handler.lambda_handler(
        update_event(bin_id, json.dumps({"marker": sys.argv[1]}), master(account)), lambda_context())
    print(json.dumps({"status": answer["statusCode"], "key": list(master(account).values())[0], "bin": bin_id}))
"""


def _traced_update(tracing: str) -> tuple[dict, list[bytes]]:
    """One update through the handler, with the stack's Tracing parameter as given: what it answered,
    and every datagram the X-Ray daemon would have received."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(0.5)
    env = {**os.environ,
           "PYTHONPATH": function_path("api"),
           # As in Lambda: the runtime's task root, Lambda's trace header for a sampled request, the daemon.
           "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "api"),
           "_X_AMZN_TRACE_ID": "Root=1-6746f3a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
           "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:%d" % daemon.getsockname()[1],
           # template.yaml's Globals: "false" when Tracing is Active, "true" when Disabled.
           "POWERTOOLS_TRACE_DISABLED": "false" if tracing == "Active" else "true"}
    try:
        result = subprocess.run([sys.executable, "-c", _PROBE, MASTER_KEY_MARKER], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        datagrams = []
        while True:
            try:
                datagrams.append(daemon.recv(65536))
            except TimeoutError:
                break
    finally:
        daemon.close()
    return json.loads(result.stdout.splitlines()[-1]), datagrams


def _segments(datagrams: list[bytes]) -> list[dict]:
    """The X-Ray daemon protocol: a JSON header line, then one segment document per datagram."""
    found = []
    for datagram in datagrams:
        header, _, document = datagram.partition(b"\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        found.append(json.loads(document))
    return found


@pytest.fixture(scope="module")
def traced():
    return _traced_update("Active")


def test_with_tracing_active_each_aws_call_of_a_request_is_a_subsegment_of_its_trace(traced):
    answer, datagrams = traced
    assert answer["status"] == 200
    segments = _segments(datagrams)
    assert {segment["trace_id"] for segment in segments} == {"1-6746f3a0-0123456789abcdef01234567"}
    names = [segment["name"] for segment in segments]
    assert "## lambda_handler" in names
    calls = {(segment["name"], segment["aws"]["operation"]) for segment in segments if segment.get("namespace") == "aws"}
    # An unversioned update: one read, one transaction, one upload (docs/performance.md).
    assert calls == {("dynamodb", "BatchGetItem"), ("dynamodb", "TransactWriteItems"), ("s3", "PutObject")}


def test_no_trace_carries_the_key_or_the_record(traced):
    answer, datagrams = traced
    sent = b"".join(datagrams)
    assert sent  # the test would pass on nothing otherwise
    assert answer["key"].encode() not in sent
    assert MASTER_KEY_MARKER.encode() not in sent  # the record, sent and answered, is never captured


def test_with_tracing_disabled_nothing_is_sent():
    answer, datagrams = _traced_update("Disabled")
    assert answer["status"] == 200
    assert datagrams == []
