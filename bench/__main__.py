"""`make bench`: what an update costs and how long it takes, each figure beside its goal.

    python -m bench [--runs N] [--skip-throughput]

1. AWS calls and sequential round trips per update (botocore's events), and for refusals.
2. The handler's own time per update (against moto's server) beside its floor.
3. Cold start: importing the handler beside a bare `import boto3`.
4. Cost per million updates at us-east-1 list prices, and what the memory size changes.
5. Local API throughput through `make run`'s server, 8 clients at once.
6. One account under 1 to 256 clients, with DynamoDB's conflict rules on a simulated clock.

A figure that misses its goal is marked MISSED; the exit status stays 0 (this is a measurement).
"""

import argparse
import platform
import sys
import time

from bench import cold_start, cost, throughput
from bench.in_process import RUNS, Measured, WarmFunction, measure_rejections, measure_updates
from local.template import load_template

GOAL_CALLS = 3
GOAL_ROUND_TRIPS = 3
GOAL_OWN_OVER_FLOOR = 1.5
GOAL_OWN_MS_AT_1KB = 1.0
GOAL_COLD_START_RATIO = 1.3


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def heading(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}", flush=True)


def print_calls(updates: list[Measured], refusals: list[Measured]) -> None:
    heading(f"1. AWS calls per warm update (goal: {GOAL_CALLS} calls in {GOAL_ROUND_TRIPS} sequential round trips)")
    print(f"{'size':<7} {'bin':<26} {'calls':>5} {'round trips':>11}  {'goal':<7} operations")
    for measured in updates:
        calls = sum(measured.operations.values())
        extension = "Idempotency-Key" in measured.scenario
        goal = "n/a" if extension else verdict(calls <= GOAL_CALLS and measured.round_trips <= GOAL_ROUND_TRIPS)
        print(
            f"{measured.size:<7} {measured.scenario:<26} {calls:>5} {measured.round_trips:>11}  {goal:<7} "
            + ", ".join(measured.operations)
        )
    print("(Idempotency-Key is our extension: its record costs a write before and one after; no goal.)")
    print("\nRefused from the request alone (goal: no AWS call)")
    for measured in refusals:
        calls = sum(measured.operations.values())
        print(f"  {measured.scenario:<24} HTTP {measured.status}  {calls} calls  {verdict(calls == 0)}")


def print_own_time(updates: list[Measured], refusals: list[Measured], runs: int) -> None:
    heading(
        f"2. Handler's own time per update, median of {runs} (goal: at most {GOAL_OWN_OVER_FLOOR}x the floor, "
        f"and under {GOAL_OWN_MS_AT_1KB:g} ms at 1 KB)"
    )
    print("own = invocation wall time minus time inside AWS calls; floor = one json.loads + one json.dumps of the body")
    print(f"{'size':<7} {'bin':<26} {'own ms':>8} {'floor ms':>9} {'own/floor':>9}  goal")
    for measured in updates:
        ratio = measured.own_ms / measured.floor_ms
        met = ratio <= GOAL_OWN_OVER_FLOOR
        if measured.size == "1 KB":
            met = met and measured.own_ms < GOAL_OWN_MS_AT_1KB
        goal = "n/a" if "Idempotency-Key" in measured.scenario else verdict(met)
        print(
            f"{measured.size:<7} {measured.scenario:<26} {measured.own_ms:>8.3f} {measured.floor_ms:>9.3f} "
            f"{ratio:>8.2f}x  {goal}"
        )
    print(
        "Refusals (no floor: nothing is parsed): "
        + ", ".join(f"{measured.scenario} {measured.own_ms:.3f} ms" for measured in refusals)
    )


def print_cold_start(figures: dict) -> None:
    heading(
        f"3. Cold start, median of {cold_start.RUNS} fresh interpreters (goal: handler import at most "
        f"{GOAL_COLD_START_RATIO}x a bare import boto3)"
    )
    ratio = figures["handler_ms"] / figures["boto3_ms"]
    print(f"import boto3                {figures['boto3_ms']:8.1f} ms")
    print(
        f"import the handler (app)    {figures['handler_ms']:8.1f} ms   {ratio:.2f}x  "
        f"{verdict(ratio <= GOAL_COLD_START_RATIO)}"
    )
    print(
        f"then its AWS clients        {figures['clients_ms']:8.1f} ms   (made on first use, by the first request "
        "that needs each)"
    )
    print(
        f"memory: {figures['rss_after_import_mib']:.0f} MiB after the import, "
        f"{figures['rss_after_largest_update_mib']:.0f} MiB after a 1 MB record is parsed and answered"
    )


def _cost_row(measured: Measured, memory_mb: int, architecture: str) -> cost.Cost:
    return cost.per_million(
        measured.operations,
        measured.items,
        measured.own_ms,
        measured.body_bytes,
        measured.log_bytes,
        memory_mb,
        architecture,
    )


def print_cost(updates: list[Measured], memory_mb: int, architecture: str) -> None:
    heading(
        f"4. Cost per million updates, us-east-1 list prices of {cost.PRICES_AS_OF}, "
        f"Lambda {memory_mb} MB {architecture} (the template's)"
    )
    print(
        f"{'size':<7} {'bin':<26} {'API GW':>7} {'Lambda':>7} {'GB-s':>7} {'DynamoDB':>8} {'S3':>6} "
        f"{'Logs':>6} {'total $':>8}  est. duration"
    )
    for measured in updates:
        row = _cost_row(measured, memory_mb, architecture)
        print(
            f"{measured.size:<7} {measured.scenario:<26} {row.api_gateway:>7.2f} {row.lambda_requests:>7.2f} "
            f"{row.lambda_duration:>7.2f} {row.dynamodb:>8.2f} {row.s3:>6.2f} {row.logs:>6.2f} {row.total:>8.2f}"
            f"  {row.duration_ms:.0f} ms"
        )
    print(
        f"Estimated duration = own time x {cost.FULL_VCPU_MB}/memory (Lambda's CPU share) + assumed latencies "
        f"{cost.ROUND_TRIP_MS} ms per call, S3 uploads at {cost.S3_UPLOAD_MB_PER_SECOND:g} MB/s."
    )
    print(
        "Logs = what the handler printed per update, at CloudWatch Logs ingestion prices (Lambda's own "
        "START/END/REPORT lines not counted). Storage is not per request and is not counted."
    )

    print("\nMemory size: $ per million updates, and estimated duration, by configured memory (arm64)")
    sizes = (128, 256, 512, 1024, cost.FULL_VCPU_MB)
    print(f"{'size':<7} {'bin':<10} " + " ".join(f"{f'{size} MB':>16}" for size in sizes))
    for measured in updates:
        if measured.scenario != "private":
            continue
        cells = []
        for size in sizes:
            row = _cost_row(measured, size, "arm64")
            cells.append(f"{f'${row.total:.2f} {row.duration_ms:.0f}ms':>16}")
        print(f"{measured.size:<7} {measured.scenario:<10} " + " ".join(cells))


def print_throughput(figures: dict) -> None:
    heading(f"5. Local API throughput: 1 KB updates through make run's server, {figures['clients']} clients")
    print(
        f"{figures['requests']} updates: {figures['rps']:.1f} requests/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms"
    )
    print(
        "(SAM's API Gateway emulation, warm worker processes and moto's server, all on this machine: "
        "compare runs, do not read it as AWS latency.)"
    )


GOAL_ACCOUNT_REQUESTS_PER_SECOND = 1000  # issue 15: one account, 256 clients, no 503s


def print_contention(seconds: float) -> None:
    from bench import contention, one_account

    heading(
        f"6. One account, many clients: DynamoDB's conflict rules on a simulated clock ({seconds:g} s of "
        "virtual time each; see docs/contention.md)"
    )
    print(
        f"scenarios: '{one_account.ONE_ITEM}' charges every request to the account item (before the split); "
        f"'{one_account.SHARDED}' spreads them (now); each client updates its own bin and reads it in turn"
    )
    figures = one_account.report(seconds)
    at_most = max(one_account.CLIENTS)
    before, after = (
        next(f for f in figures if f.clients == at_most and f.scenario == scenario)
        for scenario in (one_account.ONE_ITEM, one_account.SHARDED)
    )
    met = after.per_second >= GOAL_ACCOUNT_REQUESTS_PER_SECOND and after.unavailable_rate == 0
    print(
        f"goal: {GOAL_ACCOUNT_REQUESTS_PER_SECOND} ok/s at {at_most} clients with no 503: {verdict(met)} "
        f"({before.per_second:.0f} ok/s and {before.unavailable_rate:.1%} 503s on one item; "
        f"{after.per_second:.0f} ok/s and {after.unavailable_rate:.1%} 503s on {one_account.SHARDED})"
    )
    transaction_ms = 1000 * contention.SERVICE_SECONDS["dynamodb:TransactWriteItems"]
    print(
        f"(One hot bin is serial by nature: every update's transaction holds the bin's item for "
        f"{transaction_ms:g} ms, so at most {1000 / transaction_ms:.0f} updates a second reach it.)"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="invocations per figure (default %(default)s)")
    parser.add_argument("--skip-throughput", action="store_true", help="do not start the local stack")
    parser.add_argument("--skip-contention", action="store_true", help="do not run the conflict model (minutes)")
    parser.add_argument(
        "--contention-seconds", type=float, default=0.2, help="virtual seconds per contention scenario (%(default)s)"
    )
    arguments = parser.parse_args(argv)

    started = time.monotonic()
    functions = load_template()["Globals"]["Function"]
    memory_mb, (architecture,) = int(functions["MemorySize"]), functions["Architectures"]
    print(
        f"binstore benchmark: Python {platform.python_version()} on {platform.machine()}, "
        f"{arguments.runs} runs per figure",
        flush=True,
    )

    cold = cold_start.measure()  # first: fresh interpreters, before this process grows
    function = WarmFunction()
    try:
        updates = measure_updates(function, arguments.runs)
        refusals = measure_rejections(function, max(arguments.runs // 4, 1))
    finally:
        function.close()
    print_calls(updates, refusals)
    print_own_time(updates, refusals, arguments.runs)
    print_cold_start(cold)
    print_cost(updates, memory_mb, architecture)
    if not arguments.skip_throughput:
        print_throughput(throughput.measure())
    if not arguments.skip_contention:
        print_contention(arguments.contention_seconds)
    print(f"\n(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
