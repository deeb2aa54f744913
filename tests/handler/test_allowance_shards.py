"""An account's allowance split across shards (storage.charges): every request spends exactly one,
from any shard, and the account is out of requests only when every shard is empty."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from binstore import migrations
from binstore.model import StorageUnavailable
from binstore.storage.accounts import SPLIT_ATTEMPTS
from binstore.storage.charges import ALLOWANCE_SHARDS, split_allowance
from tests.support.events import api_event, update_event
from tests.support.store import Account, body_keys, master


def run_in_parallel(invoke, events):
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(invoke, events))


def mixed_requests(account: Account, bin_ids: list[str], count: int) -> list[dict]:
    """`count` requests alternating an update and a read, spread over the bins."""
    events = []
    for n in range(count):
        bin_id = bin_ids[n % len(bin_ids)]
        if n % 2:
            events.append(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(account)))
        else:
            events.append(update_event(bin_id, json.dumps({"n": n}).encode(), master(account)))
    return events


@pytest.mark.parametrize(("total", "shards"), [
    (0, 32), (5, 32), (31, 32), (32, 32), (33, 32), (100_000, 32), (10_000, 32), (7, 3), (2, 1),
])
def test_an_allowance_splits_whole_and_evenly(total, shards):
    shares = split_allowance(total, shards)
    assert len(shares) == shards and sum(shares) == total
    assert max(shares) - min(shares) <= 1 and shares == sorted(shares, reverse=True)


def test_a_new_account_holds_its_allowance_across_every_shard(store):
    account = Account(store, "free")
    assert account.shards() == split_allowance(10_000) and len(account.shards()) == ALLOWANCE_SHARDS
    assert store.accounts.get(account.account_id).allowance_shards == ALLOWANCE_SHARDS
    assert account.requests_remaining == 10_000


@pytest.mark.parametrize("allowance", [3, 40])
def test_mixed_requests_on_many_bins_get_exactly_the_allowance(invoke, store, allowance):
    account = Account(store, "pro")
    bin_ids = [account.create_bin({"n": -1}) for _ in range(4)]
    account.set_requests(allowance)  # 3: most shards empty from the start; 40: they empty as it goes

    results = run_in_parallel(invoke, mixed_requests(account, bin_ids, 60))

    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == allowance and statuses.count(403) == 60 - allowance
    assert all(body["message"].startswith("Requests exhausted.") for status, _, body in results if status == 403)
    assert account.shards() == [0] * ALLOWANCE_SHARDS
    updated = sum(1 for event, (status, _, _) in zip(mixed_requests(account, bin_ids, 60), results, strict=True)
                  if status == 200 and event["requestContext"]["http"]["method"] == "PUT")
    # Refused updates left no body: one first record per bin, and one per committed update.
    assert sum(len(body_keys(store, bin_id)) for bin_id in bin_ids) == len(bin_ids) + updated


def test_an_empty_account_item_does_not_refuse_while_other_shards_have_requests(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    pro.set_requests(ALLOWANCE_SHARDS + 1)  # one in every shard, two in the account item's
    table = store.settings.accounts_table
    store.dynamodb.update_item(TableName=table, Key={"accountId": {"S": pro.account_id}},
                               UpdateExpression="SET requestsRemaining = :zero",
                               ExpressionAttributeValues={":zero": {"N": "0"}})
    left = ALLOWANCE_SHARDS - 1

    for n in range(left):
        status, _, body = invoke(update_event(bin_id, json.dumps({"n": n}).encode(), master(pro)))
        assert status == 200, body
    status, _, body = invoke(update_event(bin_id, b'{"n": "one too many"}', master(pro)))

    assert status == 403 and body["message"].startswith("Requests exhausted.")
    assert pro.shards() == [0] * ALLOWANCE_SHARDS


def test_me_shows_the_exact_sum_of_the_shards(invoke, store, pro):
    bin_id = pro.create_bin()
    for _ in range(3):
        assert invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))[0] == 200
    expected = sum(pro.shards())

    status, _, body = invoke(api_event("GET", "/v3/me", headers=master(pro)))

    assert status == 200 and body["account"]["requestsRemaining"] == expected == 100_000 - 4


def test_a_failed_read_gives_its_request_back_to_the_shard_it_spent(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin()
    before = pro.shards()
    def failing(key):
        raise StorageUnavailable("ReadTimeoutError")

    monkeypatch.setattr(store.bodies, "read", failing)

    status, _, _ = invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))

    assert status == 503
    assert pro.shards() == before


def test_an_account_from_before_the_split_works_and_migrate_splits_it_exactly(invoke, store, capsys):
    account = Account(store, "pro")
    bin_id = account.create_bin({"n": 0})
    account.as_from_before_the_split(45)
    assert store.accounts.get(account.account_id).allowance_shards == 1

    assert invoke(update_event(bin_id, b'{"n": 1}', master(account)))[0] == 200
    assert account.shards() == [44] + [0] * (ALLOWANCE_SHARDS - 1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        # The split runs beside requests spending from the account: none is lost nor made.
        traffic = pool.map(invoke, mixed_requests(account, [bin_id], 20))
        split = migrations.migrate(store)["allowancesSplit"]
        statuses = [status for status, _, _ in traffic]

    assert split == 1 and statuses == [200] * 20
    assert account.requests_remaining == 44 - 20
    assert store.accounts.get(account.account_id).allowance_shards == ALLOWANCE_SHARDS
    assert migrations.migrate(store)["allowancesSplit"] == 0  # run again: nothing split twice
    assert account.requests_remaining == 24


def test_an_account_from_before_the_split_makes_a_key_charged_to_its_one_item(invoke, store):
    account = Account(store, "pro")
    account.as_from_before_the_split(5)

    status, _, body = invoke(api_event("POST", "/v3/a", {"bins": {"read": True}},
                                       headers={**master(account), "X-Key-Name": "k"}))

    assert status == 200, body
    assert account.shards() == [4] + [0] * (ALLOWANCE_SHARDS - 1)
    assert store.accounts.get(account.account_id).access_key_count == 1


def test_a_charge_that_keeps_missing_shards_answers_503_not_exhausted(invoke, store, pro, monkeypatch):
    """Exhaustion is said only when every shard reads empty. Charges that find shard after shard
    emptied under them (here: a read of the shards that always claims requests left) give up with
    a 503, never "Requests exhausted", and change nothing."""
    bin_id = pro.create_bin({"n": 0})
    pro.set_requests(0)
    monkeypatch.setattr(store.charges, "balances", lambda account_id: [1] * ALLOWANCE_SHARDS)
    monkeypatch.setattr("binstore.storage.charges.SHARD_PICKS", 2)  # fewer misses: the outcome is the point
    for module in ("binstore.retries", "binstore.updates"):
        monkeypatch.setattr(f"{module}.backoff", lambda _: None)
    before = body_keys(store, bin_id)

    update = invoke(update_event(bin_id, b'{"n": 1}', master(pro)))
    read = invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))
    listing = invoke(api_event("GET", "/v3/c", headers=master(pro)))  # a lone charge, retried by nobody

    assert [update[0], read[0], listing[0]] == [503, 503, 503]
    monkeypatch.undo()
    assert pro.shards() == [0] * ALLOWANCE_SHARDS and body_keys(store, bin_id) == before


def test_the_account_item_is_spent_last(invoke, store, pro):
    """Every request reads the account item: while its share lasts, no request reads more."""
    bin_id = pro.create_bin()
    pro.set_requests(2 * ALLOWANCE_SHARDS)
    for _ in range(2 * (ALLOWANCE_SHARDS - 1)):
        assert invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))[0] == 200
    assert pro.shards() == [2] + [0] * (ALLOWANCE_SHARDS - 1)

    statuses = [invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))[0] for _ in range(3)]

    assert statuses == [200, 200, 403] and pro.shards() == [0] * ALLOWANCE_SHARDS


def test_a_forged_key_never_makes_a_request_read_every_shard(invoke, store, pro, aws_calls):
    """Only an authenticated request with its account item's share spent reads the other shards."""
    bin_id = pro.create_bin()
    pro.set_requests(ALLOWANCE_SHARDS)
    store.dynamodb.update_item(TableName=store.settings.accounts_table, Key={"accountId": {"S": pro.account_id}},
                               UpdateExpression="SET requestsRemaining = :zero",
                               ExpressionAttributeValues={":zero": {"N": "0"}})  # the others hold them
    forged = pro.master_key[:25] + "0" * 16 + pro.master_key[41:]
    aws_calls.clear()

    status, _, _ = invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers={"x-master-key": forged}))

    assert status == 401 and aws_calls.count("dynamodb:BatchGetItem") == 1
    aws_calls.clear()
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))[0] == 200
    assert aws_calls.count("dynamodb:BatchGetItem") == 2  # the owner's own key: every shard read


@pytest.mark.parametrize("spent_meanwhile", [1, 4])
def test_migrate_splits_an_account_spending_while_it_is_split(invoke, store, monkeypatch, spent_meanwhile):
    """The split moves a fixed number of requests off the account item: requests spent between its
    read and its transaction do not stop it, and are neither lost nor made. The account item keeps
    at least one (100 split 32 ways leaves it 4: spending all 4 meanwhile makes the split read again)."""
    account = Account(store, "pro")
    bin_id = account.create_bin()
    account.as_from_before_the_split(100)
    real = store.dynamodb.transact_write_items
    spent = []

    def spend_first(**kwargs):
        if not spent and any("allowanceShards" in item.get("Update", {}).get("UpdateExpression", "")
                             for item in kwargs["TransactItems"]):
            for _ in range(spent_meanwhile):
                spent.append(invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(account)))[0])
        return real(**kwargs)

    monkeypatch.setattr(store.dynamodb, "transact_write_items", spend_first)
    outcome = migrations.migrate(store)
    monkeypatch.undo()

    assert spent == [200] * spent_meanwhile
    assert (outcome["allowancesSplit"], outcome["allowancesLeftUnsplit"]) == (1, 0)
    assert account.requests_remaining == 100 - spent_meanwhile and len(account.shards()) == ALLOWANCE_SHARDS
    assert all(share >= 1 for share in account.shards())


def test_migrate_counts_an_account_it_could_not_split(invoke, store, monkeypatch):
    account = Account(store, "pro")
    bin_id = account.create_bin()
    account.as_from_before_the_split(100)
    real = store.dynamodb.transact_write_items
    monkeypatch.setattr("binstore.storage.accounts.SPLIT_PAUSE_SECONDS", 0)

    def spend_every_time(**kwargs):
        if any("allowanceShards" in item.get("Update", {}).get("UpdateExpression", "")
               for item in kwargs["TransactItems"]):
            for _ in range(4):  # whatever the account item holds, it ends below what the split needs
                invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(account)))
        return real(**kwargs)

    monkeypatch.setattr(store.dynamodb, "transact_write_items", spend_every_time)
    outcome = migrations.migrate(store)
    monkeypatch.undo()

    assert (outcome["allowancesSplit"], outcome["allowancesLeftUnsplit"]) == (0, 1)
    assert store.accounts.get(account.account_id).allowance_shards == 1
    assert account.requests_remaining == 100 - 4 * SPLIT_ATTEMPTS  # each attempt's four: spent, and no more


def _account_item_before_the_split(items: list[dict]) -> list[dict]:
    """The account item as it was before the split (holding it all), beside the shard items."""
    return [{**{k: v for k, v in item.items() if k != "allowanceShards"}, "requestsRemaining": {"N": "100000"}}
            if "#" not in item["accountId"]["S"] else item for item in items]


@pytest.mark.parametrize("half_seen", [
    lambda items: [item for item in items if "#" not in item["accountId"]["S"]],  # split, shards not yet made
    _account_item_before_the_split,  # not split, shards already made
], ids=["shards missed", "shards counted twice"])
def test_a_read_of_the_shards_that_catches_a_split_half_seen_reads_again(store, pro, monkeypatch, half_seen):
    """A BatchGetItem is not a snapshot: beside binctl migrate's split it may see the account item
    and the shard items on either side of it, and miss the moved requests or count them twice.
    It is read again."""
    real = store.dynamodb.batch_get_item
    torn = []

    def seen_half_split(**kwargs):
        response = real(**kwargs)
        if not torn:
            torn.append(True)
            table = store.settings.accounts_table
            response["Responses"][table] = half_seen(response["Responses"][table])
        return response

    monkeypatch.setattr(store.dynamodb, "batch_get_item", seen_half_split)
    assert sum(store.charges.balances(pro.account_id)) == 100_000 and torn == [True]
