"""Per-account throughput under DynamoDB's conflict rules (bench/contention.py), on a simulated clock.

For 1, 8, 64 and 256 concurrent clients of one account: each client alternates an update of its
own bin and a read of it, for SIMULATED_SECONDS of virtual time; first with the whole allowance
on one item (the design before the split, which every request charged), then split across
ALLOWANCE_SHARDS shards (storage.charges, the design now); then every client updating one hot bin.
Printed: successful requests per second, p50/p99 latency of the successes, the conflict rate (of
DynamoDB writes) and the 503 rate (of requests).
"""

import os
from dataclasses import dataclass
from unittest import mock

import boto3
from moto import mock_aws

from bench.contention import FUNCTION_SECONDS, Simulation, modelled
from binctl.resources import local_settings
from binstore import bins, errors, provisioning, reads, updates
from binstore.access import Credentials
from binstore.model import StorageUnavailable
from binstore.records import RequestBody
from binstore.storage import Store, charges
from local.aws import create_resources

CLIENTS = (1, 8, 64, 256)
SIMULATED_SECONDS = 0.5
BODY = b'{"temperature": 21.5, "humidity": 40, "on": true}'


@dataclass(frozen=True)
class Figures:
    clients: int
    scenario: str
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    conflict_rate: float
    unavailable_rate: float


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# moto in-process: fake credentials, one region, no endpoint (bench section 2 may have set one).
_ENVIRONMENT = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}


ONE_ITEM, SHARDED, HOT_BIN = "one item", f"{charges.ALLOWANCE_SHARDS} shards", "one hot bin"
SCENARIOS = (ONE_ITEM, SHARDED, HOT_BIN)


def run(clients: int, scenario: str = SHARDED, seconds: float = SIMULATED_SECONDS) -> Figures:
    hot_bin = scenario == HOT_BIN
    # The design before the split is the same code with one shard: every charge on the account item.
    shards = 1 if scenario == ONE_ITEM else charges.ALLOWANCE_SHARDS
    with (
        mock.patch.dict(os.environ, _ENVIRONMENT),
        mock.patch.object(charges, "ALLOWANCE_SHARDS", shards),
        mock_aws(),
    ):
        os.environ.pop("AWS_ENDPOINT_URL", None)
        create_resources(boto3.client("dynamodb"), boto3.client("s3"))
        store = Store(local_settings())
        account = provisioning.create_account(store, "pro", 10**9)
        credentials = Credentials(master_key=account.master_key)
        shared = bins.create_bin(store, credentials, BODY).bin.bin_id
        own = [shared if hot_bin else bins.create_bin(store, credentials, BODY).bin.bin_id for _ in range(clients)]
        simulation = Simulation()
        latencies: list[float] = []
        outcomes = {"ok": 0, "503": 0, "other": 0}

        def client(bin_id: str):
            def requests() -> None:
                turn = 0
                while simulation.now < seconds:
                    started = simulation.now
                    simulation.sleep(FUNCTION_SECONDS)
                    try:
                        if hot_bin or turn % 2 == 0:
                            updates.update_bin(store, updates.UpdateRequest(bin_id, RequestBody(BODY), credentials))
                        else:
                            reads.read_bin(store, bin_id, credentials)
                        outcomes["ok"] += 1
                        latencies.append(simulation.now - started)
                    except (errors.Busy, StorageUnavailable):
                        outcomes["503"] += 1
                    except errors.BinStoreError:
                        outcomes["other"] += 1
                    turn += 1

            return requests

        with modelled(store, simulation) as rules:
            simulation.run([client(bin_id) for bin_id in own])
        total = sum(outcomes.values())
        writes = rules.counts.transactions + rules.counts.single_writes
        return Figures(
            clients=clients,
            scenario=scenario,
            requests=total,
            per_second=outcomes["ok"] / simulation.now if simulation.now else 0.0,
            p50_ms=1000 * _percentile(latencies, 0.50),
            p99_ms=1000 * _percentile(latencies, 0.99),
            conflict_rate=rules.counts.conflicts / writes if writes else 0.0,
            unavailable_rate=outcomes["503"] / total if total else 0.0,
        )


def report(seconds: float = SIMULATED_SECONDS) -> list[Figures]:
    figures = []
    print(
        f"{'clients':>7} {'scenario':<12} {'requests':>8} {'ok/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'conflicts':>9} {'503s':>6}"
    )
    for scenario in SCENARIOS:
        for clients in CLIENTS:
            measured = run(clients, scenario, seconds)
            figures.append(measured)
            print(
                f"{measured.clients:>7} {measured.scenario:<12} {measured.requests:>8} {measured.per_second:>8.0f} "
                f"{measured.p50_ms:>7.1f} {measured.p99_ms:>7.1f} {measured.conflict_rate:>9.1%} "
                f"{measured.unavailable_rate:>6.1%}",
                flush=True,
            )
    return figures


if __name__ == "__main__":
    report()
