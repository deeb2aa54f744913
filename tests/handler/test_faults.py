"""Failures injected at each step of an update: the bin reads its old record or its new one, the
allowance is spent only by an update that took effect, and bodies of updates that never committed
are swept.

Rule for the allowance: a request is charged if and only if its update took effect. The charge is
part of the commit's transaction, so no failure can separate the two.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from binstore import sweeping
from binstore.storage.bodies import ORPHAN_TAG
from botocore.exceptions import ClientError, ReadTimeoutError
from tests.support.events import api_event, sample_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import body_keys, master, stored_record

UNAVAILABLE = {"message": "The service could not reach its storage: retry the request"}


def aws_error(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)


def read(invoke, account, bin_id: str):
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(account)))
    assert status == 200, body  # never a missing or half-written body
    return body["record"]


def orphans(store, bin_id: str) -> list[str]:
    """Bodies the sweep marked for the lifecycle rule to delete."""
    tagged = []
    for key in body_keys(store, bin_id):
        tags = store.s3.get_object_tagging(Bucket=store.settings.records_bucket, Key=key)["TagSet"]
        if {"Key": ORPHAN_TAG, "Value": "true"} in tags:
            tagged.append(key)
    return tagged


def sweep_now(store):
    return sweeping.sweep(store, datetime.now(UTC) + timedelta(seconds=1), grace=timedelta(0))


@pytest.fixture
def bin_id(pro):
    return pro.create_bin({"n": "old"})


def update(invoke, account, bin_id: str, versioning: bool = False):
    headers = {"x-master-key": account.master_key, "x-bin-versioning": "true" if versioning else "false"}
    return invoke(update_event(bin_id, b'{"n": "new"}', headers))


def fail_always(monkeypatch, client, operation: str, error_name: str):
    def failing(**_):
        raise aws_error(error_name)
    monkeypatch.setattr(client, operation, failing)


# Each step failing

@pytest.mark.parametrize("service, operation, name", [
    ("dynamodb", "batch_get_item", "BatchGetItem"),  # the first read
    ("s3", "put_object", "PutObject"),  # the body's upload
])
def test_a_step_before_the_commit_failing_answers_503_and_changes_nothing(
        invoke, store, pro, bin_id, monkeypatch, service, operation, name):
    before, bodies = pro.requests_remaining, body_keys(store, bin_id)
    fail_always(monkeypatch, getattr(store, service), operation, name)

    status, _, body = update(invoke, pro, bin_id)
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert read(invoke, pro, bin_id) == {"n": "old"}
    assert pro.requests_remaining == before - 1  # only the read just made
    assert body_keys(store, bin_id) == bodies


def test_commit_failing_for_good_leaves_old_record_no_charge_and_a_body_for_the_sweep(
        invoke, store, pro, bin_id, monkeypatch):
    before, bodies = pro.requests_remaining, body_keys(store, bin_id)
    fail_always(monkeypatch, store.dynamodb, "transact_write_items", "TransactWriteItems")

    status, _, body = update(invoke, pro, bin_id, versioning=True)
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert stored_record(store, bin_id) == {"n": "old"}
    assert pro.requests_remaining == before
    assert store.bins.get(bin_id).version_count == 0
    (stray,) = set(body_keys(store, bin_id)) - set(bodies)  # kept: the commit's outcome was unknown

    report = sweep_now(store)

    assert orphans(store, bin_id) == [stray]  # and only it: the live body is left alone
    assert report.orphans_marked == 1
    assert read(invoke, pro, bin_id) == {"n": "old"}


def fail_before_applying(commit, kwargs):
    raise aws_error("TransactWriteItems")


def apply_then_time_out(commit, kwargs):
    commit(**kwargs)
    raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


@pytest.mark.parametrize("fault", [fail_before_applying, apply_then_time_out])
def test_a_commit_without_an_answer_applies_the_update_once(invoke, store, pro, bin_id, monkeypatch, fault):
    """The same transaction is sent again with its token. Not applied: the resend applies it. Applied
    (its answer lost): DynamoDB answers the token with success and changes nothing. Either way: one
    version, one request spent."""
    before = pro.requests_remaining
    real_commit = store.dynamodb.transact_write_items
    calls = []

    def commit_with_a_fault_the_first_time(**kwargs):
        calls.append(kwargs)
        return fault(real_commit, kwargs) if len(calls) == 1 else real_commit(**kwargs)

    monkeypatch.setattr(store.dynamodb, "transact_write_items", commit_with_a_fault_the_first_time)
    status, _, body = update(invoke, pro, bin_id, versioning=True)
    monkeypatch.undo()

    assert status == 200 and body["record"] == {"n": "new"}
    first, resent = calls
    assert resent == first  # the same transaction, under the same token
    assert stored_record(store, bin_id) == {"n": "new"}
    assert store.bins.get(bin_id).version_count == 1
    assert pro.requests_remaining == before - 1
    assert len(body_keys(store, bin_id)) == 2  # the old record (now version 1) and the new: no stray
    assert sweep_now(store).orphans_marked == 0


def test_commit_cancelled_by_a_concurrent_writer_is_retried_on_top_of_it(invoke, store, pro, bin_id, monkeypatch):
    before = pro.requests_remaining
    real_commit = store.dynamodb.transact_write_items
    interleaved = []

    def another_update_first(**kwargs):
        if not interleaved:
            interleaved.append(update_event(bin_id, b'{"n": "concurrent"}', {"x-master-key": pro.master_key,
                                                                            "x-bin-versioning": "true"}))
            assert invoke(interleaved[0])[0] == 200  # commits first: ours is cancelled
        return real_commit(**kwargs)

    monkeypatch.setattr(store.dynamodb, "transact_write_items", another_update_first)
    status, _, _ = update(invoke, pro, bin_id, versioning=True)
    monkeypatch.undo()

    assert status == 200
    assert stored_record(store, bin_id) == {"n": "new"}
    assert [stored_record(store, bin_id, version) for version in (0, 1)] == [{"n": "old"}, {"n": "concurrent"}]
    assert pro.requests_remaining == before - 2  # one each
    assert len(body_keys(store, bin_id)) == 3  # our body was uploaded once, and reused on the retry


def test_function_dying_between_upload_and_commit_leaves_a_body_the_sweep_finds(
        invoke, store, pro, bin_id, monkeypatch):
    bodies = body_keys(store, bin_id)

    def die(**_):
        raise SystemExit("the Lambda runtime stopped")

    monkeypatch.setattr(store.dynamodb, "transact_write_items", die)
    with pytest.raises(SystemExit):
        update(invoke, pro, bin_id)
    monkeypatch.undo()

    (stray,) = set(body_keys(store, bin_id)) - set(bodies)
    sweep_now(store)
    assert orphans(store, bin_id) == [stray]
    assert read(invoke, pro, bin_id) == {"n": "old"}


# The sweep itself

def test_sweep_leaves_every_referenced_body_alone(invoke, store, pro, bin_id):
    for n in range(3):
        invoke(update_event(bin_id, json.dumps({"n": n}).encode(), {"x-master-key": pro.master_key,
                                                                    "x-bin-versioning": "true"}))
    report = sweep_now(store)
    assert report.orphans_marked == 0 and report.bins_checked == 1
    assert orphans(store, bin_id) == []
    assert [stored_record(store, bin_id, version) for version in (0, 1, 2)] == [{"n": "old"}, {"n": 0}, {"n": 1}]


def test_sweep_leaves_young_bodies_alone(invoke, store, pro, bin_id, monkeypatch):
    fail_always(monkeypatch, store.dynamodb, "transact_write_items", "TransactWriteItems")
    update(invoke, pro, bin_id)
    monkeypatch.undo()

    report = sweeping.sweep(store, datetime.now(UTC))  # the default grace: an hour

    assert report.orphans_marked == 0 and orphans(store, bin_id) == []


def test_sweep_marks_the_bodies_of_a_bin_whose_delete_was_cut_short(store, pro, bin_id):
    store.dynamodb.delete_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}})
    sweep_now(store)
    assert orphans(store, bin_id) == body_keys(store, bin_id) != []


def test_sweep_skips_a_bin_that_changes_while_it_is_checked(invoke, store, pro, bin_id, monkeypatch):
    fail_always(monkeypatch, store.dynamodb, "transact_write_items", "TransactWriteItems")
    update(invoke, pro, bin_id)
    monkeypatch.undo()
    real_list_versions = store.bins.version_rows

    def update_meanwhile(bin):
        invoke(update_event(bin_id, b'{"n": "meanwhile"}', {"x-master-key": pro.master_key}))
        return real_list_versions(bin)

    monkeypatch.setattr(store.bins, "version_rows", update_meanwhile)
    report = sweep_now(store)

    assert (report.bins_skipped, report.orphans_marked) == (1, 0)
    assert read(invoke, pro, bin_id) == {"n": "meanwhile"}


def test_a_body_deleted_between_the_listing_and_the_tagging_is_counted_gone_and_the_sweep_goes_on(
        invoke, store, pro, bin_id, monkeypatch):
    """A bin deleted while the sweep runs: its bodies were listed, then deleted (versioned, so each
    is now a delete marker) before the sweep tags them. S3 refuses to tag them (MethodNotAllowed);
    the sweep counts them gone and marks the other bins' orphans, and the sweeper does not fail."""
    doomed = pro.create_bin({"n": "doomed"})
    stray = f"records/{bin_id}/left-by-a-dead-function.json"
    store.bodies.put(stray, b'{"n": "never committed"}')
    real_referenced = store.bins.referenced_bodies

    def deleted_meanwhile(bin):
        if bin == doomed:
            keys = body_keys(store, doomed)
            status, _, _ = invoke(api_event("DELETE", f"/v3/b/{doomed}", headers={"x-master-key": pro.master_key}))
            assert status == 200
            for key in keys:  # as the stream's cleanup deletes them
                store.bodies.delete(key)
            return set()  # the bin is gone: none of its bodies is referenced
        return real_referenced(bin)

    monkeypatch.setattr(store.bins, "referenced_bodies", deleted_meanwhile)
    report = sweep_now(store)

    assert report.orphans_gone == 1 and report.orphans_marked == 1
    assert orphans(store, bin_id) == [stray]


def test_sweeper_function_sweeps_on_its_schedule(store, pro, bin_id, monkeypatch):
    """SweeperFunction's handler, given the scheduled event, tags what the sweep finds."""
    import sweeper_handler as sweeper

    monkeypatch.setattr(sweeper, "store", store)
    stray = f"records/{bin_id}/left-by-a-dead-function.json"
    store.bodies.put(stray, b'{"n": "never committed"}')
    monkeypatch.setattr(sweeper, "sweep", lambda store_, now: sweeping.sweep(store_, now + timedelta(seconds=1),
                                                                             timedelta(0)))

    report = sweeper.lambda_handler(sample_event("sweeper-daily.json"), lambda_context("SweeperFunction"))

    assert report == {"bins_checked": 1, "orphans_marked": 1, "bins_skipped": 0, "orphans_gone": 0}
    assert orphans(store, bin_id) == [stray]


# A commit whose answer is lost, and failures no step expects

def test_commit_with_a_lost_answer_never_discards_the_body_the_bin_points_at(invoke, store, pro, monkeypatch):
    from binstore.model import StorageUnavailable

    bin_id = pro.create_bin({"v": 1})
    real_commit = store.bins.commit_update

    def applied_but_answer_lost(*args, **kwargs):
        real_commit(*args, **kwargs)
        raise StorageUnavailable("ReadTimeoutError")  # as storage reports a failure it cannot place

    monkeypatch.setattr(store.bins, "commit_update", applied_but_answer_lost)
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', master(pro)))

    assert (status, body) == (503, UNAVAILABLE)
    assert stored_record(store, bin_id) == {"v": 2}  # the body the bin points at is still there


def test_transaction_carries_an_idempotency_token(invoke, store, pro):
    bin_id = pro.create_bin()
    tokens = []

    def capture(params, **_):
        tokens.append(params.get("ClientRequestToken"))

    store.dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", capture)
    invoke(update_event(bin_id, b'{"v": 2}', master(pro)))
    assert len(tokens) == 1 and tokens[0]


def test_unexpected_failure_is_a_json_500_without_internals(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin()

    def broken(*_, **__):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store, "read_context", broken)
    status, _, body = invoke(update_event(bin_id, b'{"a": 1}', master(pro)))
    assert (status, body) == (500, {"message": "Internal server error"})


def test_a_commit_that_never_answers_is_tried_three_times_then_answers_503(invoke, store, pro, bin_id, monkeypatch):
    """After botocore's own retries, an unanswered commit is sent twice more (the same transaction, with its token, conditioned on the
    same revision), then the update gives up: 503, nothing applied, nothing charged."""
    from binstore.storage.charges import UNANSWERED_RESENDS

    before = pro.requests_remaining
    attempts = []

    def never_answers(**_):
        attempts.append(1)
        raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(store.dynamodb, "transact_write_items", never_answers)
    status, _, body = update(invoke, pro, bin_id)
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert len(attempts) == UNANSWERED_RESENDS + 1 == 3
    assert stored_record(store, bin_id) == {"n": "old"}
    assert pro.requests_remaining == before


TOO_MANY = {"message": "The bin is receiving too many updates at once. Retry the request"}


def always_losing_the_race(monkeypatch, table, method: str) -> list:
    """Every commit of `method` is cancelled by a concurrent writer; returns the attempts made."""
    from binstore.model import CommitConflict

    attempts = []

    def conflict(*_, **__):
        attempts.append(1)
        raise CommitConflict()

    monkeypatch.setattr(table, method, conflict)
    for module in ("binstore.retries", "binstore.updates"):  # no backoff: the count is the point
        monkeypatch.setattr(f"{module}.backoff", lambda _: None)
    return attempts


def test_an_update_that_loses_every_race_answers_503_and_leaves_nothing(invoke, store, pro, bin_id, monkeypatch):
    from binstore.retries import MAX_ATTEMPTS

    before, bodies = pro.requests_remaining, body_keys(store, bin_id)
    attempts = always_losing_the_race(monkeypatch, store.bins, "commit_update")

    status, _, body = update(invoke, pro, bin_id)

    assert (status, body) == (503, TOO_MANY)
    assert len(attempts) == MAX_ATTEMPTS
    assert stored_record(store, bin_id) == {"n": "old"}
    assert (pro.requests_remaining, body_keys(store, bin_id)) == (before, bodies)  # its upload deleted


def test_a_meta_change_that_loses_every_race_answers_503(invoke, store, pro, bin_id, monkeypatch):
    from binstore.retries import MAX_ATTEMPTS

    before = pro.requests_remaining
    attempts = always_losing_the_race(monkeypatch, store.bins, "change_meta")

    status, _, body = invoke(api_event("PUT", f"/v3/b/{bin_id}/meta/name", headers={**master(pro), "x-bin-name": "n"}))

    assert (status, body) == (503, TOO_MANY)
    assert len(attempts) == MAX_ATTEMPTS
    assert store.bins.get(bin_id).name is None and pro.requests_remaining == before
