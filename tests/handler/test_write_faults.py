"""Every write route, with storage failing at each step: before the commit, at the commit (not
applied), at the commit's answer (applied, the answer lost once, or every time), and right after the
commit (the function failing before it answers). What a user then sees stored is the old state or
the new one, never a mix; the request is charged if and only if it took effect; and a retry with the
same Idempotency-Key answers as the first would have, without applying it again or charging again.

Each route is described once (WRITES): what it acts on, its request, and what a user can observe of
its effect; every fault runs against every route.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from tests.support.events import api_event, update_event
from tests.support.store import Account, master, stored_record

UNAVAILABLE = {"message": "The service could not reach its storage: retry the request"}


@dataclass(frozen=True)
class Write:
    name: str
    route: str  # as template.yaml declares it
    prepare: Callable[[Account], dict]  # makes what the write acts on; returns the ids it needs
    request: Callable[[Account, dict], dict]  # the write's event
    observe: Callable[[Account, dict], object]  # what a user can see of the write's effect
    new: Callable[[dict], object]  # what `observe` shows once the write took effect
    # A retry's answer: the first's, replayed; but a key's secret is shown once, so its creation's
    # retry is refused (409), naming the key made.
    replays: bool = True
    cost: int = 1  # requests it spends once it took effect (deleting an access key spends none)


def owned(account: Account, table: str) -> int:
    """How many items of `table` the account owns (what a listing would show)."""
    items = account.store.dynamodb.scan(TableName=table)["Items"]
    return sum(1 for item in items if item["ownerId"]["S"] == account.account_id)


def bins_of(account: Account) -> int:
    return owned(account, account.store.settings.bins_table)


def versioned_bin(account: Account) -> dict:
    bin_id = account.create_bin({"n": "base"})
    from binstore.updates import UpdateRequest, update_bin
    from binstore.records import RequestBody

    update_bin(account.store, UpdateRequest(bin_id, RequestBody(b'{"n": "latest"}'), account.credentials, True))
    return {"bin": bin_id}


def latest_and_version_count(account: Account, ids: dict) -> tuple:
    return stored_record(account.store, ids["bin"]), account.store.bins.get(ids["bin"]).version_count


def doc_in_collection(account: Account) -> dict:
    doc = account.create_schema_doc({"type": "object"}, "Doc")
    return {"doc": doc, "collection": account.create_collection(doc), "other_doc": account.create_schema_doc({})}


def access_keys_of(account: Account) -> list[str]:
    return [key.key_id for key in account.store.accounts.keys_of(account.account_id) if key.kind == "access"]


def an_access_key(account: Account) -> dict:
    return {"key": account.create_access_key("read").split(".")[1]}


def assert_answered_as_the_first(spec: Write, status: int, headers: dict, body: dict, account: Account) -> None:
    if spec.replays:
        assert status == 200, body
        assert headers.get("Idempotent-Replayed") == "true"
    else:
        (key_id,) = access_keys_of(account)
        assert status == 409 and key_id in body["message"], body


def collection_copy(account: Account, collection_id: str):
    return account.store.collections.get(collection_id).schema_json


WRITES = [
    Write(
        "create a bin",
        "POST /v3/b",
        prepare=lambda account: {},
        request=lambda account, ids: api_event("POST", "/v3/b", {"n": 1}, master(account)),
        observe=lambda account, ids: bins_of(account),
        new=lambda ids: 1,
    ),
    Write(
        "update a bin, keeping a version",
        "PUT /v3/b/{binId}",
        prepare=lambda account: {"bin": account.create_bin({"n": "old"})},
        request=lambda account, ids: update_event(
            ids["bin"], b'{"n": "new"}', {**master(account), "x-bin-versioning": "true"}
        ),
        observe=latest_and_version_count,
        new=lambda ids: ({"n": "new"}, 1),
    ),
    Write(
        "delete a bin",
        "DELETE /v3/b/{binId}",
        prepare=lambda account: {"bin": account.create_bin()},
        request=lambda account, ids: api_event("DELETE", f"/v3/b/{ids['bin']}", headers=master(account)),
        observe=lambda account, ids: account.store.bins.get(ids["bin"]) is None,
        new=lambda ids: True,
    ),
    Write(
        "delete a bin's versions",
        "DELETE /v3/b/{binId}/versions",
        prepare=versioned_bin,
        request=lambda account, ids: api_event("DELETE", f"/v3/b/{ids['bin']}/versions", headers=master(account)),
        observe=latest_and_version_count,
        new=lambda ids: ({"n": "base"}, 0),
    ),
    Write(
        "change a bin's privacy",
        "PUT /v3/b/{binId}/meta/privacy",
        prepare=lambda account: {"bin": account.create_bin()},
        request=lambda account, ids: api_event(
            "PUT", f"/v3/b/{ids['bin']}/meta/privacy", headers={**master(account), "x-bin-private": "false"}
        ),
        observe=lambda account, ids: account.store.bins.get(ids["bin"]).private,
        new=lambda ids: False,
    ),
    Write(
        "rename a bin",
        "PUT /v3/b/{binId}/meta/name",
        prepare=lambda account: {"bin": account.create_bin()},
        request=lambda account, ids: api_event(
            "PUT", f"/v3/b/{ids['bin']}/meta/name", headers={**master(account), "x-bin-name": "renamed"}
        ),
        observe=lambda account, ids: account.store.bins.get(ids["bin"]).name,
        new=lambda ids: "renamed",
    ),
    Write(
        "create a schema doc",
        "POST /v3/s",
        prepare=lambda account: {},
        request=lambda account, ids: api_event(
            "POST", "/v3/s", {"type": "object"}, {**master(account), "x-schema-doc-name": "S"}
        ),
        observe=lambda account, ids: owned(account, account.store.settings.schema_docs_table),
        new=lambda ids: 1,
    ),
    Write(
        "change a schema doc (and the copy of the collection using it)",
        "PUT /v3/s/{schemaDocId}",
        prepare=doc_in_collection,
        request=lambda account, ids: api_event("PUT", f"/v3/s/{ids['doc']}", {"type": "array"}, master(account)),
        observe=lambda account, ids: (
            json.loads(account.store.collections.get_schema_doc(ids["doc"]).schema_json),
            json.loads(collection_copy(account, ids["collection"])),
        ),
        new=lambda ids: ({"type": "array"}, {"type": "array"}),
    ),
    Write(
        "rename a schema doc (its schema stays)",
        "PUT /v3/s/{schemaDocId}/meta/name",
        prepare=doc_in_collection,
        request=lambda account, ids: api_event(
            "PUT", f"/v3/s/{ids['doc']}/meta/name", headers={**master(account), "x-schema-doc-name": "Renamed"}
        ),
        observe=lambda account, ids: (
            account.store.collections.get_schema_doc(ids["doc"]).name,
            json.loads(account.store.collections.get_schema_doc(ids["doc"]).schema_json),
        ),
        new=lambda ids: ("Renamed", {"type": "object"}),
    ),
    Write(
        "rename a collection",
        "PUT /v3/c/{collectionId}/meta/name",
        prepare=doc_in_collection,
        request=lambda account, ids: api_event(
            "PUT", f"/v3/c/{ids['collection']}/meta/name", headers={**master(account), "x-collection-name": "Renamed"}
        ),
        observe=lambda account, ids: account.store.collections.get(ids["collection"]).name,
        new=lambda ids: "Renamed",
    ),
    Write(
        "create a collection",
        "POST /v3/c",
        prepare=lambda account: {},
        request=lambda account, ids: api_event("POST", "/v3/c", headers={**master(account), "x-collection-name": "C"}),
        observe=lambda account, ids: owned(account, account.store.settings.collections_table),
        new=lambda ids: 1,
    ),
    Write(
        "attach a schema doc to a collection",
        "PUT /v3/c/{collectionId}/schemadoc/add",
        prepare=doc_in_collection,
        request=lambda account, ids: api_event(
            "PUT",
            f"/v3/c/{ids['collection']}/schemadoc/add",
            headers={**master(account), "x-schema-doc-id": ids["other_doc"]},
        ),
        observe=lambda account, ids: account.store.collections.get(ids["collection"]).schema_doc_id,
        new=lambda ids: ids["other_doc"],
    ),
    Write(
        "detach a collection's schema doc",
        "PUT /v3/c/{collectionId}/schemadoc/remove",
        prepare=doc_in_collection,
        request=lambda account, ids: api_event(
            "PUT", f"/v3/c/{ids['collection']}/schemadoc/remove", headers=master(account)
        ),
        observe=lambda account, ids: account.store.collections.get(ids["collection"]).schema_doc_id,
        new=lambda ids: None,
    ),
    Write(
        "create an access key",
        "POST /v3/a",
        prepare=lambda account: {},
        request=lambda account, ids: api_event(
            "POST", "/v3/a", {"bins": {"read": True}}, {**master(account), "x-key-name": "K"}
        ),
        observe=lambda account, ids: len(access_keys_of(account)),
        new=lambda ids: 1,
        replays=False,
    ),
    Write(
        "delete an access key",
        "DELETE /v3/a/{accessKeyId}",
        prepare=an_access_key,
        request=lambda account, ids: api_event("DELETE", f"/v3/a/{ids['key']}", headers=master(account)),
        observe=lambda account, ids: access_keys_of(account),
        new=lambda ids: [],
        cost=0,
    ),
]


def test_every_write_route_of_the_template_is_here():
    from local.template import load_template

    served = {
        f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
        for resource in load_template()["Resources"].values()
        for event in resource.get("Properties", {}).get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    assert {write.route for write in WRITES} == {route for route in served if not route.startswith("GET ")}


@pytest.fixture(params=WRITES, ids=[write.name for write in WRITES])
def write(request, pro):
    """A write route, with what it acts on prepared; the state before it, and its requests."""
    spec = request.param
    ids = spec.prepare(pro)
    return spec, ids, spec.observe(pro, ids), pro.requests_remaining


def aws_error(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)


def timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


def with_key(event: dict, key: str = "retry-me-1") -> dict:
    event["headers"]["idempotency-key"] = key
    return event


def test_the_first_read_failing_answers_503_and_changes_nothing(invoke, store, pro, write, monkeypatch):
    spec, ids, old, requests = write
    monkeypatch.setattr(store.dynamodb, "batch_get_item", lambda **_: (_ for _ in ()).throw(aws_error("BatchGetItem")))

    status, _, body = invoke(spec.request(pro, ids))
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert spec.observe(pro, ids) == old
    assert pro.requests_remaining == requests


def test_a_commit_that_fails_answers_503_and_changes_nothing(invoke, store, pro, write, monkeypatch):
    spec, ids, old, requests = write
    sent = []

    def failing(**kwargs):
        sent.append(kwargs)
        raise aws_error("TransactWriteItems")

    monkeypatch.setattr(store.dynamodb, "transact_write_items", failing)
    status, _, body = invoke(spec.request(pro, ids))
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert len(sent) == 3 and len({json.dumps(kwargs, sort_keys=True) for kwargs in sent}) == 1  # one commit, resent
    assert spec.observe(pro, ids) == old
    assert pro.requests_remaining == requests


def applied_then(store, monkeypatch, answers_lost: int | None):
    """The next commit is applied; its answer, and that of the next `answers_lost - 1` resends
    (None: every one), is lost. Returns the calls made."""
    real = store.dynamodb.transact_write_items
    calls = []

    def commit(**kwargs):
        if not calls:
            # Cancelled as DynamoDB would (the shard of the allowance it charged was empty): sent
            # again charging another shard, and that one is "the next commit".
            real(**kwargs)
            calls.append(kwargs)
            raise timeout()
        calls.append(kwargs)
        if answers_lost is None or len(calls) <= answers_lost:
            raise timeout()
        return real(**kwargs)

    monkeypatch.setattr(store.dynamodb, "transact_write_items", commit)
    return calls


def test_a_commit_whose_answer_is_lost_once_applies_once(invoke, store, pro, write, monkeypatch):
    spec, ids, old, requests = write
    calls = applied_then(store, monkeypatch, answers_lost=1)

    status, _, body = invoke(spec.request(pro, ids))
    monkeypatch.undo()

    assert status == 200, body
    assert calls[0] == calls[1]  # resent as it was, under its token: DynamoDB answers success, applies nothing
    assert spec.observe(pro, ids) == spec.new(ids) != old
    assert pro.requests_remaining == requests - spec.cost


def test_a_commit_whose_every_answer_is_lost_is_answered_by_a_retry_with_the_same_key(
        invoke, store, pro, write, monkeypatch):
    """Applied, but no answer ever came: the caller cannot know (an update reads the bin again and
    can; the others answer 503). Its retry, with the same Idempotency-Key, finds the record the
    commit wrote and answers from it: nothing applied again, nothing charged again."""
    spec, ids, old, requests = write
    applied_then(store, monkeypatch, answers_lost=None)

    status, _, first = invoke(with_key(spec.request(pro, ids)))
    monkeypatch.undo()
    assert spec.observe(pro, ids) == spec.new(ids)
    assert pro.requests_remaining == requests - spec.cost
    if spec.name.startswith("update"):
        assert status == 200, first  # it read the bin again: it points at the update's body
    else:
        assert (status, first) == (503, UNAVAILABLE)

    status, headers, retried = invoke(with_key(spec.request(pro, ids)))

    assert_answered_as_the_first(spec, status, headers, retried, pro)
    assert spec.observe(pro, ids) == spec.new(ids)
    assert pro.requests_remaining == requests - spec.cost


def test_a_function_failing_right_after_the_commit_is_answered_by_a_retry_with_the_same_key(
        invoke, store, pro, write, monkeypatch):
    """The commit applied, then the function failed before answering (500): Powertools forgot the key
    with the error, the commit's own record did not."""
    spec, ids, old, requests = write

    def failing_after_the_commit(metric: str) -> None:
        raise RuntimeError("the function fails right after the commit")

    monkeypatch.setattr("idempotency.served", failing_after_the_commit)  # counts a write once it ran
    status, _, first = invoke(with_key(spec.request(pro, ids)))
    monkeypatch.undo()
    assert status == 500 and first == {"message": "Internal server error"}
    assert spec.observe(pro, ids) == spec.new(ids)

    status, headers, retried = invoke(with_key(spec.request(pro, ids)))

    assert_answered_as_the_first(spec, status, headers, retried, pro)
    assert spec.observe(pro, ids) == spec.new(ids)
    assert pro.requests_remaining == requests - spec.cost


def test_a_retry_answers_exactly_as_the_first_request(invoke, store, pro, write):
    spec, ids, old, requests = write
    first = invoke(with_key(spec.request(pro, ids)))
    retried = invoke(with_key(spec.request(pro, ids)))

    if not spec.replays:
        assert first[0] == 200 and first[2]["accessKey"] not in json.dumps(retried)
        assert_answered_as_the_first(spec, *retried, pro)
        return
    assert first[0] == retried[0] == 200 and retried[2] == first[2]
    assert json.dumps(retried[2]) == json.dumps(first[2])  # in the same order, too
    assert retried[1]["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first[1]
    assert spec.observe(pro, ids) == spec.new(ids)
    assert pro.requests_remaining == requests - spec.cost


def expire_in_progress_marks(store) -> None:
    """Age Powertools' in-progress marks past their expiry (the function that set them is gone)."""
    table = store.settings.idempotency_table
    for item in store.dynamodb.scan(TableName=table)["Items"]:
        if item["id"]["S"].startswith("binstore#"):
            store.dynamodb.update_item(TableName=table, Key={"id": item["id"]},
                                       UpdateExpression="SET in_progress_expiration = :past",
                                       ExpressionAttributeValues={":past": {"N": "1"}})


def test_a_twin_that_commits_first_is_answered_from_its_record(invoke, store, pro, write, monkeypatch):
    """Two runs of one request under one key, past Powertools' in-progress mark (it expired): the
    second looks for a commit record before the first commits, then commits itself. Its commit's
    record cancels it: it answers from the first's record, and nothing is applied or charged twice."""
    import api_handler
    from tests.support.store import body_keys

    spec, ids, old, requests = write
    real_lookup = store.recorded_commit
    twins = []

    def a_twin_commits_right_after_the_look(idempotent):
        found = real_lookup(idempotent)
        if not twins:
            monkeypatch.setattr(store, "recorded_commit", real_lookup)
            expire_in_progress_marks(store)  # the twin runs as if this request's mark had expired
            twins.append(invoke(with_key(spec.request(pro, ids), "twin-key")))
            api_handler.app.append_context(store=store)  # the twin's end cleared this request's context
        return found

    bodies = body_keys(store, ids["bin"]) if "bin" in ids else None
    monkeypatch.setattr(store, "recorded_commit", a_twin_commits_right_after_the_look)
    status, headers, body = invoke(with_key(spec.request(pro, ids), "twin-key"))

    assert twins[0][0] == 200
    assert_answered_as_the_first(spec, status, headers, body, pro)
    assert not spec.replays or body == twins[0][2]
    assert spec.observe(pro, ids) == spec.new(ids)
    assert pro.requests_remaining == requests - spec.cost
    if bodies is not None and spec.route != "DELETE /v3/b/{binId}":
        assert len(body_keys(store, ids["bin"])) <= len(bodies) + 1  # a second upload is not left behind


def test_another_request_under_a_used_key_is_refused(invoke, store, pro, write, monkeypatch):
    """Even when only the commit's record remembers the key (Powertools forgot it with an error)."""
    spec, ids, old, requests = write
    applied_then(store, monkeypatch, answers_lost=None)
    invoke(with_key(spec.request(pro, ids)))
    monkeypatch.undo()
    other = with_key(spec.request(pro, ids))
    other["headers"]["x-bin-name"] = other["headers"]["x-key-name"] = "another request"

    status, _, body = invoke(other)

    assert (status, body) == (422, {"message": "This Idempotency-Key was already used for a different request"})
    assert pro.requests_remaining == requests - spec.cost


# Deleting versions: one write, then housekeeping that may fail or race without harm


def versioned(invoke, account: Account, bin_id: str, n: int) -> None:
    for value in range(1, n + 1):
        status, _, body = invoke(update_event(
            bin_id, json.dumps({"n": value}).encode(), {**master(account), "x-bin-versioning": "true"}))
        assert status == 200, body


def sweep_now(store):
    from datetime import UTC, datetime, timedelta

    from binstore import sweeping

    return sweeping.sweep(store, datetime.now(UTC) + timedelta(seconds=1), grace=timedelta(0))


@pytest.mark.parametrize("failing", ["version rows", "bodies"])
def test_versions_deleted_stay_deleted_when_their_cleanup_fails(invoke, store, pro, monkeypatch, failing):
    """The reset committed, so the answer is success; what the cleanup left is no version of the bin:
    not readable, not in the way of new versions, not a base record a retried delete goes back to."""
    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 2)  # versions 0 {"n": 0}, 1 {"n": 1}, and 2, the latest, {"n": 2}
    if failing == "version rows":
        monkeypatch.setattr(store.dynamodb, "transact_write_items", _fail_after_first(
            store.dynamodb.transact_write_items, "TransactWriteItems"))
    else:
        monkeypatch.setattr(store.s3, "delete_objects", lambda **_: (_ for _ in ()).throw(aws_error("DeleteObjects")))

    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))
    monkeypatch.undo()

    assert (status, body["metadata"]) == (200, {"id": bin_id, "versionsDeleted": 2})
    assert stored_record(store, bin_id) == {"n": 0}  # back to the base record, version 0 and the latest
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/0", headers=master(pro)))[2]["record"] == {"n": 0}
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/1", headers=master(pro)))[0] == 404
    versioned(invoke, pro, bin_id, 1)  # keeps {"n": 0} as version 0 of the new generation
    assert stored_record(store, bin_id, 0) == {"n": 0} and stored_record(store, bin_id) == {"n": 1}

    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 1)
    assert stored_record(store, bin_id) == {"n": 0}  # the new base: never the old generation's
    assert store.bins.get(bin_id).version_count == 0
    sweep_now(store)
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[2]["record"] == {"n": 0}


def _fail_after_first(real, operation: str):
    """Let the first call through (the commit), fail every later one (the cleanup)."""
    calls = []

    def call(**kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise aws_error(operation)
        return real(**kwargs)

    return call


def test_a_versions_cleanup_never_deletes_a_version_kept_after_the_reset(invoke, store, pro, monkeypatch):
    """Between the reset and its cleanup, an update keeps version 1 of the new generation, under a
    number the cleanup is about to delete: that row stays (and is readable), the old ones go."""
    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 3)  # versions 1-3: {"n": 0}, {"n": 1}, {"n": 2}; latest {"n": 3}
    real_cleanup = store.bins.delete_stale_version_rows

    def update_first(*args, **kwargs):
        versioned(invoke, pro, bin_id, 1)  # keeps the base {"n": 0} as version 1; latest {"n": 1}
        api_handler.app.append_context(store=store)  # the nested request's end cleared this one's
        return real_cleanup(*args, **kwargs)

    import api_handler

    monkeypatch.setattr(store.bins, "delete_stale_version_rows", update_first)
    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))
    monkeypatch.undo()

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 3)
    assert [kept.version for kept in store.bins.version_rows(bin_id)] == [1]
    assert stored_record(store, bin_id, 0) == {"n": 0} and stored_record(store, bin_id) == {"n": 1}
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/0", headers=master(pro)))[2]["record"] == {"n": 0}


@pytest.mark.parametrize("preserve", ["false", "true"])
def test_a_versions_cleanup_racing_another_reset_never_deletes_the_latest(invoke, store, pro, monkeypatch, preserve):
    """R1 resets; an update keeps the base as version 1; R1's cleanup starts reading the bin; R2 resets
    (back to that base) and cleans up, all before R1's cleanup reads the rows. R1 must not take
    the rows it then finds (none) for the bin's state: the base is the latest again."""
    import api_handler

    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 2)  # versions {"n": 0}, {"n": 1}; latest {"n": 2}
    real_get = store.bins.get
    raced = []

    def others_run_around_the_first_read(read_bin_id):
        if raced:
            return real_get(read_bin_id)
        raced.append(1)
        versioned(invoke, pro, bin_id, 1)  # keeps R1's latest as version 1; latest {"n": 1}
        found = real_get(read_bin_id)
        assert invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))[0] == 200  # R2
        api_handler.app.append_context(store=store)  # the nested requests cleared this one's
        return found

    monkeypatch.setattr(store.bins, "get", others_run_around_the_first_read)
    status, _, _ = invoke(api_event(
        "DELETE", f"/v3/b/{bin_id}/versions", headers={**master(pro), "x-preserve-latest": preserve}))
    monkeypatch.undo()

    assert status == 200 and raced
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))
    assert status == 200, body
    assert body["record"] == ({"n": 2} if preserve == "true" else {"n": 0})  # R2 went back to R1's latest


def test_a_bin_deleted_stays_deleted_when_its_cleanup_fails(invoke, store, pro, monkeypatch):
    from tests.support.store import body_keys

    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 1)
    monkeypatch.setattr(store.s3, "delete_objects", lambda **_: (_ for _ in ()).throw(aws_error("DeleteObjects")))

    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))
    monkeypatch.undo()

    assert (status, body["metadata"]) == (200, {"id": bin_id, "versionsDeleted": 1})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 404
    leftovers = body_keys(store, bin_id)
    assert len(leftovers) == 2
    assert sweep_now(store).orphans_marked == 2  # the sweep hands them to the lifecycle rule


def test_a_versions_delete_is_not_starved_by_versioned_updates(invoke, store, pro, monkeypatch):
    """The worst case of writers versioning the bin while its versions are deleted: an update commits
    between every read of the delete and its commit. The delete still commits at once (it is
    conditioned on the version generation, which updates do not move), and no update is lost: the
    one that kept a version after the read is forgotten with the rest, its record still the latest."""
    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 2)
    real_kept_versions, real_reset = store.bins.kept_versions, store.bins.reset_versions
    resets, committed = [], []

    def versioned_update_after_every_read(bin):
        kept = real_kept_versions(bin)
        if not committed:
            versioned(invoke, pro, bin_id, 1)  # {"n": 1}, once more: before the reset commits
        return kept

    def reset(*args, **kwargs):
        resets.append(1)
        real_reset(*args, **kwargs)
        committed.append(1)

    monkeypatch.setattr(store.bins, "kept_versions", versioned_update_after_every_read)
    monkeypatch.setattr(store.bins, "reset_versions", reset)
    monkeypatch.setattr("binstore.retries.backoff", lambda _: None)
    status, _, body = invoke(api_event(
        "DELETE", f"/v3/b/{bin_id}/versions", headers={**master(pro), "x-preserve-latest": "true"}))
    monkeypatch.undo()

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 2)
    assert len(resets) == 1  # committed at the first attempt
    assert store.bins.get(bin_id).version_count == 0
    assert stored_record(store, bin_id) == {"n": 1}  # the update that came meanwhile is the latest


def test_a_versions_delete_that_read_none_goes_back_to_a_base_record_kept_meanwhile(invoke, store, pro, monkeypatch):
    """It read no versions, so it had no base record to go back to; a versioned update then kept one.
    Its commit is conditioned on the bin still keeping none: it fails, and the next attempt goes back
    to that base record, as JSONBin would have had the two requests come one after the other."""
    bin_id = pro.create_bin({"n": 0})
    real_kept_versions = store.bins.kept_versions
    updated = []

    def versioned_update_after_the_first_read(bin):
        kept = real_kept_versions(bin)
        if not updated:
            updated.append(1)
            versioned(invoke, pro, bin_id, 1)  # keeps {"n": 0} as version 1; latest {"n": 1}
        return kept

    monkeypatch.setattr(store.bins, "kept_versions", versioned_update_after_the_first_read)
    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))
    monkeypatch.undo()

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 1)
    assert stored_record(store, bin_id) == {"n": 0} and store.bins.get(bin_id).version_count == 0


def test_a_schema_doc_change_racing_an_attach_updates_every_copy(invoke, store, pro, monkeypatch):
    """An attach that lands between the change's read and its commit lists one more collection: the
    change's condition on the list fails, and its next attempt rewrites that copy too."""
    doc = pro.create_schema_doc({"type": "object"}, "Doc")
    first = pro.create_collection(doc)
    second = pro.create_collection()
    real_get = store.collections.get_schema_doc
    attached = []

    def attach_meanwhile(schema_doc_id):
        read = real_get(schema_doc_id)
        if not attached:
            monkeypatch.undo()  # the attach reads the doc too, unhindered
            attached.append(invoke(api_event(
                "PUT", f"/v3/c/{second}/schemadoc/add", headers={**master(pro), "x-schema-doc-id": doc}))[0])
        return read

    monkeypatch.setattr(store.collections, "get_schema_doc", attach_meanwhile)
    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc}", {"type": "array"}, master(pro)))

    assert (status, attached) == (200, [200])
    assert [json.loads(collection_copy(pro, collection)) for collection in (first, second)] == [{"type": "array"}] * 2


def listing(store, doc: str, collection_ids: list[str]) -> None:
    """Make the doc list these collections, as if each had attached it."""
    store.dynamodb.update_item(
        TableName=store.settings.schema_docs_table, Key={"schemaDocId": {"S": doc}},
        UpdateExpression="SET collectionIds = :ids", ExpressionAttributeValues={":ids": {"SS": collection_ids}})


def test_a_schema_doc_attaches_to_at_most_35_collections(invoke, store, pro):
    from binstore.plans import MAX_COLLECTIONS_PER_SCHEMA_DOC

    doc = pro.create_schema_doc({"type": "object"}, "Doc")
    listing(store, doc, [f"{n:024x}" for n in range(MAX_COLLECTIONS_PER_SCHEMA_DOC)])
    collection = pro.create_collection()
    requests = pro.requests_remaining

    status, _, body = invoke(api_event(
        "PUT", f"/v3/c/{collection}/schemadoc/add", headers={**master(pro), "x-schema-doc-id": doc}))

    assert MAX_COLLECTIONS_PER_SCHEMA_DOC == 35
    assert (status, body) == (403, {"message": "A Schema Doc can be attached to at most 35 Collections"})
    assert store.collections.get(collection).schema_doc_id is None and pro.requests_remaining == requests


def test_a_collection_at_the_limit_attaches_its_own_doc_again(invoke, store, pro):
    doc = pro.create_schema_doc({"type": "object"}, "Doc")
    collection = pro.create_collection(doc)
    listing(store, doc, [collection, *(f"{n:024x}" for n in range(34))])

    status, _, body = invoke(api_event(
        "PUT", f"/v3/c/{collection}/schemadoc/add", headers={**master(pro), "x-schema-doc-id": doc}))

    assert (status, body["schemaDocId"]) == (200, doc)


def test_a_doc_attached_to_more_than_the_limit_is_refused_a_change_plainly(invoke, store, pro):
    """Attached before the limit existed: 403, not a storage failure, and nothing changes."""
    doc = pro.create_schema_doc({"type": "object"}, "Doc")
    collection = pro.create_collection(doc)
    listing(store, doc, [collection, *(f"{n:024x}" for n in range(40))])

    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc}", {"type": "array"}, master(pro)))

    assert (status, body) == (403, {"message": "A Schema Doc can be attached to at most 35 Collections"})
    assert json.loads(collection_copy(pro, collection)) == {"type": "object"}


def test_a_transaction_refused_as_sent_is_not_sent_again(invoke, store, pro, monkeypatch):
    """A ValidationException (a transaction over DynamoDB's 4 MB, say) is an answer: not applied, so
    503 at once, not resent as if no answer had come."""
    bin_id = pro.create_bin({"n": "old"})
    sent = []

    def refused(**kwargs):
        sent.append(1)
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "too large"}}, "TransactWriteItems")

    monkeypatch.setattr(store.dynamodb, "transact_write_items", refused)
    status, _, body = invoke(update_event(bin_id, b'{"n": "new"}', master(pro)))
    monkeypatch.undo()

    assert (status, body, len(sent)) == (503, UNAVAILABLE, 1)
    assert stored_record(store, bin_id) == {"n": "old"}


def test_an_expired_commit_record_is_not_answered_from(invoke, store, pro, monkeypatch):
    """Kept for 24 hours, like Powertools' records; DynamoDB's TTL deletes it later, and until then
    it is as good as gone: the key runs afresh."""
    bin_id = pro.create_bin({"n": 0})
    applied_then(store, monkeypatch, answers_lost=None)
    event = api_event("PUT", f"/v3/b/{bin_id}/meta/name", headers={**master(pro), "x-bin-name": "first"})
    assert invoke(with_key(event))[0] == 503
    monkeypatch.undo()
    table = store.settings.idempotency_table
    for item in store.dynamodb.scan(TableName=table)["Items"]:
        store.dynamodb.update_item(TableName=table, Key={"id": item["id"]}, UpdateExpression="SET expiration = :past",
                                   ExpressionAttributeValues={":past": {"N": "1"}})
    requests = pro.requests_remaining

    status, headers, _ = invoke(with_key(event))

    assert status == 200 and "Idempotent-Replayed" not in headers
    assert pro.requests_remaining == requests - 1


def test_bins_and_versions_stored_before_version_generations_still_reset(invoke, store, pro):
    """Items written before generations existed have no versionGeneration: they are generation 0."""
    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 1)
    store.dynamodb.update_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
                               UpdateExpression="REMOVE versionGeneration")
    store.dynamodb.update_item(TableName=store.settings.bin_versions_table,
                               Key={"binId": {"S": bin_id}, "version": {"N": "1"}},
                               UpdateExpression="REMOVE versionGeneration")
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/0", headers=master(pro)))[2]["record"] == {"n": 0}

    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 1)
    assert stored_record(store, bin_id) == {"n": 0} and store.bins.version_rows(bin_id) == []


def test_the_last_allowed_update_applied_without_an_answer_is_never_applied_again(invoke, store, pro, monkeypatch):
    """The account's last request: the update is applied, no answer comes, and the read that would
    tell fails too (503). Its retry with the same key must neither apply it again (a second version,
    a second charge) nor refuse it as "Requests exhausted": it answers from the commit's record."""
    bin_id = pro.create_bin({"n": "old"})
    pro.set_requests(1)
    commits = applied_then(store, monkeypatch, answers_lost=None)
    real_get_item = store.dynamodb.get_item

    def failing_once_committed(**kwargs):
        if commits:
            raise aws_error("GetItem")
        return real_get_item(**kwargs)

    monkeypatch.setattr(store.dynamodb, "get_item", failing_once_committed)
    event = update_event(bin_id, b'{"n": "new"}', {**master(pro), "x-bin-versioning": "true"})

    status, _, body = invoke(with_key(event))
    monkeypatch.undo()
    assert (status, body) == (503, UNAVAILABLE)

    status, headers, body = invoke(with_key(event))

    assert (status, body["record"], headers.get("Idempotent-Replayed")) == (200, {"n": "new"}, "true")
    assert pro.requests_remaining == 0
    assert store.bins.get(bin_id).version_count == 1 and stored_record(store, bin_id) == {"n": "new"}


# The idempotency table failing


def test_an_idempotency_table_that_fails_before_the_write_answers_503_and_changes_nothing(
        invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin({"n": "old"})
    requests = pro.requests_remaining
    monkeypatch.setattr(store.dynamodb, "put_item", lambda **_: (_ for _ in ()).throw(aws_error("PutItem")))

    status, _, body = invoke(with_key(update_event(bin_id, b'{"n": "new"}', master(pro))))
    monkeypatch.undo()

    assert (status, body) == (503, UNAVAILABLE)
    assert stored_record(store, bin_id) == {"n": "old"} and pro.requests_remaining == requests


def test_an_idempotency_table_that_fails_after_the_write_is_answered_by_a_later_retry(invoke, store, pro, monkeypatch):
    """The update committed, then Powertools could not save its answer: 503, and its key stays in
    progress (409) until the in-progress mark expires; then the retry answers from the commit's record."""
    bin_id = pro.create_bin({"n": "old"})
    requests = pro.requests_remaining
    monkeypatch.setattr(store.dynamodb, "update_item", lambda **_: (_ for _ in ()).throw(aws_error("UpdateItem")))
    event = update_event(bin_id, b'{"n": "new"}', {**master(pro), "x-bin-versioning": "true"})

    status, _, body = invoke(with_key(event))
    monkeypatch.undo()
    assert (status, body) == (503, UNAVAILABLE)
    assert stored_record(store, bin_id) == {"n": "new"} and pro.requests_remaining == requests - 1
    assert invoke(with_key(event))[0] == 409

    expire_in_progress_marks(store)
    status, headers, body = invoke(with_key(event))

    assert (status, body["record"], headers.get("Idempotent-Replayed")) == (200, {"n": "new"}, "true")
    assert store.bins.get(bin_id).version_count == 1 and pro.requests_remaining == requests - 1


def test_rows_an_old_reset_left_behind_are_no_versions(invoke, store, pro):
    """Before generations, a reset could commit (count 0) and fail to delete its rows: they carry no
    generation, so they look like generation 0. Their numbers, beyond the bin's count, say what they
    are: a versions delete neither counts them nor goes back to them, and the latest stays."""
    bin_id = pro.create_bin({"n": 0})
    versioned(invoke, pro, bin_id, 3)
    for version in (1, 2, 3):
        store.dynamodb.update_item(TableName=store.settings.bin_versions_table,
                                   Key={"binId": {"S": bin_id}, "version": {"N": str(version)}},
                                   UpdateExpression="REMOVE versionGeneration")
    store.dynamodb.update_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
                               UpdateExpression="SET versionCount = :zero REMOVE versionGeneration",
                               ExpressionAttributeValues={":zero": {"N": "0"}})
    assert invoke(update_event(bin_id, b'{"n": "mine"}', master(pro)))[0] == 200

    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))

    assert (status, body["metadata"]["versionsDeleted"]) == (200, 0)
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers=master(pro)))[2]["record"] == {"n": "mine"}
    assert store.bins.version_rows(bin_id) == []  # and the leftovers are gone
