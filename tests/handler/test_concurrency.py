"""Parallel updates lose nothing, and the request allowance is counted exactly."""

import json
from concurrent.futures import ThreadPoolExecutor

from tests.support.events import update_event
from tests.support.store import Account, body_keys, master, stored_record

PARALLEL = 12


def run_in_parallel(invoke, events):
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(invoke, events))


def test_parallel_versioned_updates_each_keep_their_own_version(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    headers = {**master(pro), "x-bin-versioning": "true"}
    events = [update_event(bin_id, json.dumps({"n": n}).encode(), headers) for n in range(1, PARALLEL + 1)]

    results = run_in_parallel(invoke, events)

    assert [status for status, _, _ in results] == [200] * PARALLEL
    meta = store.bins.get(bin_id)
    assert meta.version_count == PARALLEL
    kept = [stored_record(store, bin_id, v)["n"] for v in range(PARALLEL)]
    latest = stored_record(store, bin_id)["n"]
    # Every record ever written is either a kept version or the latest, exactly once.
    assert sorted(kept + [latest]) == list(range(PARALLEL + 1))
    assert kept[0] == 0


def test_allowance_of_n_gives_exactly_n_successes(invoke, store):
    allowance = 5
    account = Account(store, "pro")
    bin_id = account.create_bin()
    account.set_requests(allowance)
    events = [update_event(bin_id, json.dumps({"n": n}).encode(), master(account))
              for n in range(PARALLEL)]

    results = run_in_parallel(invoke, events)

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * allowance + [403] * (PARALLEL - allowance)
    assert account.requests_remaining == 0
    refused = [body for status, _, body in results if status == 403]
    assert all(body["message"].startswith("Requests exhausted.") for body in refused)
    # Refused updates left no body behind: the first record's, and one per committed update.
    assert len(body_keys(store, bin_id)) == 1 + allowance
