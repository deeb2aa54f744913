"""Local API throughput: 1 KB updates through `make run`'s server, 8 clients at once.

This measures the local stack (SAM's API Gateway emulation, warm worker processes, moto's server),
all on this machine: a figure to compare runs of the code with, not a prediction for AWS.
"""

import http.client
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.bodies import KIB, json_body
from local.stack import running_stack

CLIENTS = 8
WARMUP_PER_CLIENT = 5  # the gateway starts a warm worker per concurrent request it sees
REQUESTS_PER_CLIENT = 50


def _put(host: str, port: int, path: str, body: bytes, headers: dict) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("PUT", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def measure(clients: int = CLIENTS, requests_per_client: int = REQUESTS_PER_CLIENT) -> dict:
    body = json_body(KIB).encode()
    with tempfile.TemporaryDirectory() as scratch, running_stack(Path(scratch) / "run.log") as stack:
        address = urlparse(stack.url)
        headers = {"Content-Type": "application/json", "X-Master-Key": stack.master_key}
        # One bin per client, as separate users would have: updates of one bin queue behind each other.
        bin_ids = []
        for _ in range(clients):
            status, _, text = stack.request("POST", "/v3/b", body, headers)
            assert status == 200, text
            bin_ids.append(json.loads(text)["metadata"]["id"])

        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()
        start_together = threading.Barrier(clients + 1)

        def client(bin_id: str) -> None:
            for _ in range(WARMUP_PER_CLIENT):
                _put(address.hostname, address.port, f"/v3/b/{bin_id}", body, headers)
            start_together.wait()
            for _ in range(requests_per_client):
                status, seconds = _put(address.hostname, address.port, f"/v3/b/{bin_id}", body, headers)
                with lock:
                    (latencies if status == 200 else failures).append(seconds if status == 200 else status)

        threads = [threading.Thread(target=client, args=(bin_id,)) for bin_id in bin_ids]
        for thread in threads:
            thread.start()
        start_together.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} updates failed under load: statuses {sorted(set(failures))}")
    percentiles = statistics.quantiles(latencies, n=100)
    return {
        "clients": clients,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentiles[98] * 1000,
    }
