"""Updates through the warm handler, against moto: AWS calls, round trips, the handler's own time.

The handler's own time is an invocation's wall time minus the time spent inside AWS calls (see
aws_calls). Its floor is what no implementation can skip: one `json.loads` and one `json.dumps` of
the same body, with the standard library.
"""

import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

from bench.aws_calls import CallRecorder, operations, round_trips, time_inside
from bench.bodies import KIB, SIZES, json_body
from bench.lambda_setup import bins_function, import_handler
from local.ports import free_port, wait_for_port
from tests.support.events import update_event
from tests.support.lambda_context import lambda_context

RUNS = 200
WARMUP = 10


@dataclass(frozen=True)
class Measured:
    scenario: str
    size: str
    body_bytes: int
    status: int
    operations: Counter  # AWS calls of one invocation, by service:operation
    items: dict[str, int]  # DynamoDB items each operation touched (for capacity units)
    round_trips: int
    own_ms: float  # median
    floor_ms: float | None  # median json.loads + json.dumps of the body; None where not meaningful
    log_bytes: float  # what the handler wrote to its log (CloudWatch Logs) per invocation


@functools.lru_cache(maxsize=8)  # one floor per body, whichever bins it updates
def floor_ms(body: str, runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def output_bytes() -> int:
    """Bytes the handler has printed so far into handler_output_counted's file."""
    sys.stdout.flush()
    return os.fstat(1).st_size


@contextmanager
def handler_output_counted():
    """Send what the handler prints (its logs and metrics) to a file, and count it: a dict gets `bytes`."""
    counted = {}
    with tempfile.TemporaryFile() as sink:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(sink.fileno(), 1)
        try:
            yield counted
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            counted["bytes"] = os.fstat(sink.fileno()).st_size


class WarmFunction:
    """The Bins function's handler, imported once in this process as in a warm Lambda container.

    Its AWS is moto's server in a process of its own, as AWS is another machine: the emulation's
    work (thousands of Python calls per AWS call) then neither counts as the handler's time nor
    runs on the handler's core between its steps, evicting its code and data from the CPU caches.
    """

    def __init__(self):
        import boto3

        from local.aws import create_resources

        port = free_port()
        self._moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port, self._moto)
            self.module, self.handler = import_handler(bins_function())
            os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"  # boto3 honours it
            from binctl.resources import local_settings
            from binstore import provisioning
            from binstore.storage import Store

            create_resources(boto3.client("dynamodb"), boto3.client("s3"))
            self.store = Store(local_settings())
            self.module.store = self.store  # the container's Store (as the module made it), for the recorder
            self.recorder = CallRecorder()
            self.recorder.attach(self.store.dynamodb, self.store.s3)
            self.account = provisioning.create_account(self.store, "pro", 10_000_000)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self._moto.poll() is None:
            self._moto.terminate()
            try:
                self._moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._moto.kill()
                self._moto.wait()

    def new_bin(self) -> str:
        from binstore import bins
        from binstore.access import Credentials

        created = bins.create_bin(self.store, Credentials(master_key=self.account.master_key), b'{"new": true}')
        return created.bin.bin_id

    def invoke(self, event: dict) -> tuple[dict, float, list]:
        context = lambda_context("BinsFunction")  # Lambda's runtime makes it, not the handler
        self.recorder.clear()
        started = time.perf_counter()
        response = self.handler(event, context)
        wall = time.perf_counter() - started
        return response, wall, self.recorder.calls

    def measure(
        self, scenario: str, size: str, events, runs: int, expected_status: int, floor_body: str | None
    ) -> Measured:
        """Invoke `runs` times (after a warm-up) with the events `events()` makes; medians of the timings."""
        own, signatures = [], Counter()
        with handler_output_counted() as output:
            for _ in range(WARMUP):
                self.invoke(events())
            gc.collect()
            output["warm-up"] = output_bytes()
            for _ in range(runs):
                event = events()
                response, wall, calls = self.invoke(event)
                if response["statusCode"] != expected_status:
                    raise RuntimeError(f"{scenario} {size}: status {response['statusCode']}: {response['body'][:200]}")
                inside = time_inside(calls)
                own.append(wall - inside)
                signatures[tuple(call.operation for call in calls)] += 1
        if len(signatures) > 1:
            raise RuntimeError(f"{scenario} {size}: calls varied between runs: {dict(signatures)}")
        return Measured(
            scenario=scenario,
            size=size,
            body_bytes=len((event["body"] or "").encode()),
            status=response["statusCode"],
            operations=operations(calls),
            items={call.operation: call.items for call in calls},
            round_trips=round_trips(calls),
            own_ms=statistics.median(own) * 1000,
            floor_ms=floor_ms(floor_body, runs) if floor_body is not None else None,
            log_bytes=(output["bytes"] - output["warm-up"]) / runs,
        )


UPDATE_SCENARIOS = {
    "private": {"x-bin-versioning": "false"},
    "private, versioned": {"x-bin-versioning": "true"},
}


def measure_updates(function: WarmFunction, runs: int = RUNS) -> list[Measured]:
    results = []
    key = {"x-master-key": function.account.master_key}
    for size, size_bytes in SIZES.items():
        body = json_body(size_bytes)
        for scenario, headers in UPDATE_SCENARIOS.items():
            bin_id = function.new_bin()  # a fresh bin: a versioned one keeps at most 1000 versions
            event = update_event(bin_id, body, {**key, **headers})
            results.append(function.measure(scenario, size, lambda event=event: event, runs, 200, body))
    # An Idempotency-Key (our extension) adds its own record's writes; a new key every time.
    bin_id = function.new_bin()
    body = json_body(KIB)

    def keyed_event():
        return update_event(bin_id, body, {**key, "idempotency-key": uuid.uuid4().hex})

    results.append(function.measure("private, Idempotency-Key", "1 KB", keyed_event, runs, 200, body))
    return results


def measure_rejections(function: WarmFunction, runs: int = 50) -> list[Measured]:
    """Requests refused from the request alone: no AWS call is needed to refuse them."""
    bin_id = function.new_bin()
    key = {"x-master-key": function.account.master_key}
    over = json_body(SIZES["1 MB"]) + " "
    cases = [
        ("bad bin id", update_event("not-a-bin-id", '{"a":1}', key), 400),
        ("blank body", update_event(bin_id, "", key), 400),
        ("wrong Content-Type", update_event(bin_id, '{"a":1}', {**key, "content-type": "text/plain"}), 400),
        ("over the largest plan", update_event(bin_id, over, key), 403),
    ]
    results = []
    for scenario, event, status in cases:
        results.append(function.measure(scenario, "", lambda event=event: event, runs, status, None))
    return results
