"""The benchmark's model of DynamoDB under contention (bench/contention.py): its clock, its conflict
and throughput rules as botocore surfaces them, and the production code's exact allowance under it."""

import random
import threading

import pytest
from botocore.exceptions import ClientError

from bench import contention
from bench.contention import Simulation, modelled
from binstore import errors, updates
from binstore.model import StorageUnavailable
from binstore.records import RequestBody


def test_participants_run_one_at_a_time_in_the_order_of_their_virtual_wake_times():
    simulation, seen = Simulation(), []

    def client(name, pauses):
        def run():
            for pause in pauses:
                simulation.sleep(pause)
                seen.append((round(simulation.now, 3), name, threading.current_thread().name))
        return run

    simulation.run([client("a", [0.010, 0.010]), client("b", [0.015]), client("c", [0.001, 0.030])])
    assert [(at, name) for at, name, _ in seen] == [(0.001, "c"), (0.01, "a"), (0.015, "b"), (0.02, "a"),
                                                     (0.031, "c")]
    assert simulation.now == pytest.approx(0.031)


def test_a_task_a_participant_hands_to_a_pool_runs_beside_it_in_virtual_time():
    simulation = Simulation()
    pool = contention._SimulatedPool(simulation)
    ended = []

    def client():
        pending = pool.submit(lambda: (simulation.sleep(0.004), ended.append(("task", simulation.now))))
        simulation.sleep(0.010)
        pending.result()
        ended.append(("client", simulation.now))

    simulation.run([client])
    assert ended == [("task", 0.004), ("client", 0.010)]  # in parallel: 10 ms, not 14


def test_a_transaction_on_an_item_another_holds_is_cancelled_as_dynamodb_cancels_it(store, pro):
    """Two updates of one account at the same instant: the second meets the first's hold on the
    account item, and botocore raises what DynamoDB answers."""
    simulation = Simulation()
    first, second = pro.create_bin({"n": 0}), pro.create_bin({"n": 0})
    raised = []

    def transact(bin_id):
        def run():
            try:
                store.dynamodb.transact_write_items(TransactItems=[{"Update": {
                    "TableName": store.settings.accounts_table, "Key": {"accountId": {"S": pro.account_id}},
                    "UpdateExpression": "SET requestsRemaining = requestsRemaining - :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}, {"Update": {
                    "TableName": store.settings.bins_table, "Key": {"binId": {"S": bin_id}},
                    "UpdateExpression": "SET revision = revision + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
                raised.append(None)
            except ClientError as error:
                raised.append(error)
        return run

    requests = pro.requests_remaining
    with modelled(store, simulation) as rules:
        simulation.run([transact(first), transact(second)])
    (error,) = [error for error in raised if error is not None]
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error.response["CancellationReasons"]] == ["TransactionConflict", "None"]
    assert pro.requests_remaining == requests - 1 and rules.counts.conflicts == 1


def test_a_single_write_to_a_held_item_and_an_item_over_its_write_units_fail_as_dynamodb_fails_them(store, pro):
    simulation, codes = Simulation(), []
    key = {"accountId": {"S": pro.account_id}}
    charge = {"TableName": store.settings.accounts_table, "Key": key,
              "UpdateExpression": "SET requestsRemaining = requestsRemaining - :one",
              "ExpressionAttributeValues": {":one": {"N": "1"}}}

    def holder():
        store.dynamodb.transact_write_items(TransactItems=[{"Update": charge}])

    def writer():
        simulation.sleep(0.001)  # while the transaction holds the item
        try:
            store.dynamodb.update_item(**charge)
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])

    requests = pro.requests_remaining
    with modelled(store, simulation) as rules:
        simulation.run([holder, writer])
        assert codes == ["TransactionConflictException"]
        # The item has used its second's write units: refused, and retried by botocore (with its
        # backoff, on the virtual clock) until the next second.
        second = int(simulation.now)
        rules.units[rules._item(store.settings.accounts_table, key)] = (second, contention.ITEM_WRITE_UNITS_PER_SECOND)
        simulation.run([writer])
    assert rules.counts.throttles >= 1 and codes == ["TransactionConflictException"]
    assert pro.requests_remaining == requests - 2 and simulation.now >= second + 1  # the holder's, the retried


@pytest.mark.parametrize("one_bin", [False, True], ids=["own bins", "one bin"])
@pytest.mark.parametrize("before_the_split", [False, True], ids=["split", "before the split"])
def test_the_allowance_stays_exact_under_the_model(store, before_the_split, one_bin):
    """An account with N requests left gets exactly N successful requests (updates and reads) from
    many clients, whatever the conflicts and retries: its allowance split across shards, most of
    them empty; or, from before the split, all on its account item. Each client on its own bin, or
    all on one (tests/handler/test_concurrency.py's case, here under DynamoDB's conflict rules)."""
    from binstore import reads
    from binstore.storage.charges import ALLOWANCE_SHARDS
    from tests.support.store import Account

    account = Account(store, "pro")
    own = [account.create_bin({"n": 0}) for _ in range(1 if one_bin else 8)] * (8 if one_bin else 1)
    if before_the_split:
        account.as_from_before_the_split(6)
    else:
        account.set_requests(6)
    simulation, outcomes = Simulation(), {"ok": 0, "exhausted": 0, "503": 0}

    def client(bin_id):
        def run():
            for n in range(4):
                try:
                    if n % 2:
                        reads.read_bin(store, bin_id, account.credentials)
                    else:
                        request = updates.UpdateRequest(bin_id, RequestBody(b'{"n": 1}'), account.credentials)
                        updates.update_bin(store, request)
                    outcomes["ok"] += 1
                except errors.RequestsExhausted:
                    outcomes["exhausted"] += 1
                except (errors.Busy, StorageUnavailable):
                    outcomes["503"] += 1
        return run

    with modelled(store, simulation) as rules:
        simulation.run([client(bin_id) for bin_id in own])
    if before_the_split:
        assert rules.counts.conflicts > 0  # the clients did meet, on the one item
    assert outcomes == {"ok": 6, "exhausted": 8 * 4 - 6, "503": 0}
    assert account.shards() == [0] * ALLOWANCE_SHARDS


class _FirstPickShard:
    """Stands for binstore.randomness in storage.charges: every charge first picks shard `shard`."""

    def __init__(self, shard: int):
        self.shard = shard
        self.uniform, self.choice = random.uniform, random.choice

    def randrange(self, *bounds: int) -> int:
        return self.shard


def test_a_read_beside_a_write_of_the_same_account_is_charged_not_refused(store, pro, monkeypatch):
    """A read's charge that meets a write's transaction on the same shard of the allowance is sent
    again until the shard is free: the read answers, and spends exactly one request."""
    from binstore import reads
    from binstore.storage import charges

    monkeypatch.setattr(charges, "randomness", _FirstPickShard(5))  # both charge shard 5
    bin_id, other = pro.create_bin({"n": 0}), pro.create_bin({"n": 0})
    simulation, answered = Simulation(), []

    def writer():
        updates.update_bin(store, updates.UpdateRequest(other, RequestBody(b'{"n": 1}'), pro.credentials))

    def reader():
        simulation.sleep(0.025)  # its charge at 29 ms: the write's transaction holds the item 24-32 ms
        answered.append(reads.read_bin(store, bin_id, pro.credentials).json_text)

    requests = pro.requests_remaining
    with modelled(store, simulation) as rules:
        simulation.run([writer, reader])
    assert rules.counts.conflicts >= 1  # the read's charge met the transaction
    assert answered == ['{"n":0}'] and pro.requests_remaining == requests - 2
    assert charges.SPEND_ATTEMPTS > 1
