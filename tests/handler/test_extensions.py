"""Our extensions to JSONBin: Idempotency-Key on writes, ETag and If-Match on bins."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.support.events import api_event, update_event
from tests.support.store import body_keys, master, stored_record


def versions_kept(store, bin_id: str) -> int:
    return store.bins.get(bin_id).version_count


def idempotency_items(store) -> list[dict]:
    return store.dynamodb.scan(TableName=store.settings.idempotency_table)["Items"]


# Idempotency-Key

def test_retried_update_answers_as_the_first_and_changes_nothing_more(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    headers = {"x-master-key": pro.master_key, "x-bin-versioning": "true", "idempotency-key": "update-1"}
    before = pro.requests_remaining

    first = invoke(update_event(bin_id, b'{"n": 1}', headers))
    retried = invoke(update_event(bin_id, b'{"n": 1}', headers))

    assert first[0] == retried[0] == 200
    assert retried[2] == first[2] == {"record": {"n": 1},
                                      "metadata": {"parentId": bin_id, "private": True, "version": 1}}
    assert retried[1]["ETag"] == first[1]["ETag"]
    assert retried[1]["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first[1]
    assert versions_kept(store, bin_id) == 1  # one version, not two
    assert pro.requests_remaining == before - 1  # one request spent, not two
    assert len(body_keys(store, bin_id)) == 2  # the first record and the new one: no third body


def test_a_new_key_is_a_new_update(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    for key in ("a", "b"):
        headers = {"x-master-key": pro.master_key, "x-bin-versioning": "true", "idempotency-key": key}
        assert invoke(update_event(bin_id, b'{"n": 1}', headers))[0] == 200
    assert versions_kept(store, bin_id) == 2


def test_key_reused_for_another_body_is_refused_and_changes_nothing(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    headers = {"x-master-key": pro.master_key, "idempotency-key": "k"}
    invoke(update_event(bin_id, b'{"n": 1}', headers))
    before = pro.requests_remaining

    status, _, body = invoke(update_event(bin_id, b'{"n": 2}', headers))

    assert (status, body) == (422, {"message": "This Idempotency-Key was already used for a different request"})
    assert stored_record(store, bin_id) == {"n": 1}
    assert pro.requests_remaining == before


def test_key_reused_with_other_versioning_is_another_request(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "idempotency-key": "k"}))
    status, _, _ = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "idempotency-key": "k",
                                                               "x-bin-versioning": "true"}))
    assert status == 422
    assert versions_kept(store, bin_id) == 0


def test_same_key_from_another_account_is_not_replayed_to_it(invoke, store, pro, free):
    """Keys are scoped to the credentials: another caller's key never returns someone else's answer."""
    mine, theirs = pro.create_bin({"mine": 1}), free.create_bin({"theirs": 1})
    invoke(update_event(mine, b'{"n": 1}', {"x-master-key": pro.master_key, "idempotency-key": "shared"}))

    status, headers, body = invoke(update_event(
        theirs, b'{"n": 1}', {"x-master-key": free.master_key, "idempotency-key": "shared"}))

    assert status == 200 and body["metadata"]["parentId"] == theirs
    assert "Idempotent-Replayed" not in headers
    assert stored_record(store, theirs) == {"n": 1}


def test_wrong_key_retrying_a_used_idempotency_key_is_refused_not_replayed(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "idempotency-key": "k"}))
    forged = pro.master_key[:-4] + ("AAAA" if not pro.master_key.endswith("AAAA") else "BBBB")

    status, _, body = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": forged, "idempotency-key": "k"}))

    assert status == 401 and "record" not in body


def test_refused_request_is_not_remembered_so_a_corrected_retry_runs(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    pro.set_requests(0)
    headers = {"x-master-key": pro.master_key, "idempotency-key": "k"}
    assert invoke(update_event(bin_id, b'{"n": 1}', headers))[0] == 403

    pro.set_requests(5)
    status, _, body = invoke(update_event(bin_id, b'{"n": 1}', headers))

    assert status == 200 and body["record"] == {"n": 1}
    assert stored_record(store, bin_id) == {"n": 1}


def test_retry_while_the_first_is_still_running_gets_409(invoke, store, pro, monkeypatch):
    import binstore.updates as updates

    bin_id = pro.create_bin({"n": 0})
    headers = {"x-master-key": pro.master_key, "idempotency-key": "slow"}
    real_update = updates.update_bin
    answers = []

    def update_while_a_retry_arrives(store_, request):
        answers.append(invoke(update_event(bin_id, b'{"n": 1}', headers)))
        return real_update(store_, request)

    monkeypatch.setattr("bin_routes.update_bin", update_while_a_retry_arrives)
    first = invoke(update_event(bin_id, b'{"n": 1}', headers))

    assert first[0] == 200
    assert answers[0][:3:2] == (409, {"message": "A request with this Idempotency-Key is still in progress: "
                                                 "retry it later"})


def test_retried_create_returns_the_same_bin_and_creates_one(invoke, store, pro):
    headers = {"x-master-key": pro.master_key, "x-bin-name": "once", "idempotency-key": "create-1"}
    before = pro.requests_remaining

    first = invoke(api_event("POST", "/v3/b", {"a": 1}, headers))
    retried = invoke(api_event("POST", "/v3/b", {"a": 1}, headers))

    assert first[0] == retried[0] == 200
    assert retried[2] == first[2]
    assert retried[1]["Idempotent-Replayed"] == "true"
    bins = store.dynamodb.scan(TableName=store.settings.bins_table)["Items"]
    assert [item["binId"]["S"] for item in bins] == [first[2]["metadata"]["id"]]
    assert pro.requests_remaining == before - 1


@pytest.mark.parametrize("path, body, headers", [
    ("/v3/c", None, {"x-collection-name": "once"}),
    ("/v3/s", {"type": "object"}, {"x-schema-doc-name": "once"}),
])
def test_retried_collection_and_schema_doc_creates_make_one(invoke, store, pro, path, body, headers):
    headers = {"x-master-key": pro.master_key, "idempotency-key": "c-1", **headers}
    first = invoke(api_event("POST", path, body, headers))
    retried = invoke(api_event("POST", path, body, headers))

    assert first[0] == retried[0] == 200 and retried[2] == first[2]
    table = store.settings.collections_table if path == "/v3/c" else store.settings.schema_docs_table
    assert store.dynamodb.scan(TableName=table)["Count"] == 1


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_idempotency_key_is_refused(invoke, store, pro, key):
    bin_id = pro.create_bin({"n": 0})
    status, _, body = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key,
                                                                "idempotency-key": key}))
    assert (status, body) == (400, {"message": "Idempotency-Key must be 1 to 255 visible ASCII characters"})
    assert stored_record(store, bin_id) == {"n": 0}


def test_idempotency_table_holds_no_key_and_no_record(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    invoke(update_event(bin_id, b'{"secret-record": "sensitive-value"}',
                        {"x-master-key": pro.master_key, "idempotency-key": "my-key-123"}))

    stored = json.dumps(idempotency_items(store), default=str)
    # Powertools' record of the answer, and the commit's own record of what it committed.
    assert sorted(item["id"]["S"].split("#")[0] for item in idempotency_items(store)) == ["binstore", "commit"]
    for secret in (pro.master_key, pro.master_key.split(".")[-1], "sensitive-value", "my-key-123"):
        assert secret not in stored


def test_without_the_header_nothing_is_remembered(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key}))
    assert idempotency_items(store) == []


# ETag and If-Match

def test_update_and_read_carry_the_bins_revision_as_etag(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    read = invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"x-master-key": pro.master_key}))
    updated = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key}))
    read_again = invoke(api_event("GET", f"/v3/b/{bin_id}/latest", headers={"x-master-key": pro.master_key}))

    assert read[1]["ETag"] == f'"{store.bins.get(bin_id).revision - 1}"'
    assert updated[1]["ETag"] == read_again[1]["ETag"] == f'"{store.bins.get(bin_id).revision}"'
    assert read[1]["ETag"] != updated[1]["ETag"]


def test_if_match_with_the_current_etag_updates(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    tag = invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"x-master-key": pro.master_key}))[1]["ETag"]

    status, _, _ = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "if-match": tag}))

    assert status == 200 and stored_record(store, bin_id) == {"n": 1}


@pytest.mark.parametrize(("path", "header"), [("meta/privacy", {"x-bin-private": "false"}),
                                               ("meta/name", {"x-bin-name": "renamed"})])
def test_a_change_of_privacy_or_name_answers_the_new_etag_which_an_update_may_send(invoke, store, pro, path, header):
    bin_id = pro.create_bin({"n": 0})
    before = invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"x-master-key": pro.master_key}))[1]["ETag"]
    status, headers, _ = invoke(api_event("PUT", f"/v3/b/{bin_id}/{path}",
                                          headers={"x-master-key": pro.master_key, **header}))
    assert status == 200 and headers["ETag"] == f'"{store.bins.get(bin_id).revision}"' != before
    status, _, _ = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "if-match": headers["ETag"]}))
    assert status == 200 and stored_record(store, bin_id) == {"n": 1}
    status, _, _ = invoke(update_event(bin_id, b'{"n": 2}', {"x-master-key": pro.master_key, "if-match": before}))
    assert status == 412 and stored_record(store, bin_id) == {"n": 1}


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1", '"1", "nonsense"', '"abc"',
                                      '"02"', '"2 "', '"' + "9" * 5000 + '"'],  # entity tags compare as strings
                         ids=lambda if_match: if_match[:12])
def test_if_match_with_a_stale_or_foreign_etag_is_412_and_changes_nothing(invoke, store, pro, if_match):
    bin_id = pro.create_bin({"n": 0})
    assert invoke(update_event(bin_id, b'{"n": 1}', master(pro)))[1]["ETag"] == '"2"'  # revision 1 -> 2
    before = pro.requests_remaining

    status, _, body = invoke(update_event(bin_id, b'{"n": 2}', {"x-master-key": pro.master_key,
                                                                "if-match": if_match}))

    assert (status, body) == (412, {"message": "The bin has changed since the ETag given in If-Match: "
                                               "read it again, then retry"})
    assert stored_record(store, bin_id) == {"n": 1}
    assert pro.requests_remaining == before
    assert len(body_keys(store, bin_id)) == 2  # the body of the refused update was not kept


def test_if_match_star_or_a_list_holding_the_current_tag_updates(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    assert invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": pro.master_key, "if-match": "*"}))[0] == 200
    current = f'"{store.bins.get(bin_id).revision}"'
    status, _, _ = invoke(update_event(bin_id, b'{"n": 2}', {"x-master-key": pro.master_key,
                                                             "if-match": f'"999", {current}'}))
    assert status == 200


def test_if_match_is_checked_after_the_key(invoke, store, pro, free):
    """A stranger learns nothing of the bin's revision: a wrong key is refused as such."""
    bin_id = pro.create_bin({"n": 0})
    status, _, _ = invoke(update_event(bin_id, b'{"n": 1}', {"x-master-key": free.master_key, "if-match": '"7"'}))
    assert status == 401


def test_racing_conditional_updates_one_wins_the_other_gets_412(invoke, store, pro):
    """Two clients read the same ETag and both update with If-Match: exactly one lost update is refused."""
    bin_id = pro.create_bin({"n": 0})
    tag = f'"{store.bins.get(bin_id).revision}"'

    def update(n: int):
        return invoke(update_event(bin_id, json.dumps({"n": n}).encode(),
                                   {"x-master-key": pro.master_key, "if-match": tag}))[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(update, range(1, 9)))

    assert statuses == [200] + [412] * 7
    assert store.bins.get(bin_id).revision == 2


def test_version_reads_are_tagged_by_their_body_and_the_latest_by_its_revision(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0})
    versioned = {"x-master-key": pro.master_key, "x-bin-versioning": "true"}
    latest_tag = invoke(update_event(bin_id, b'{"n": 1}', versioned))[1]["ETag"]

    def tag(version: str) -> str:
        status, headers, _ = invoke(api_event("GET", f"/v3/b/{bin_id}/{version}", headers=versioned))
        assert status == 200
        return headers["ETag"]

    base_tag = tag("0")
    assert base_tag.startswith('"v') and base_tag != latest_tag
    assert tag("1") == tag("latest") == latest_tag  # version 1 is the latest record: its revision's tag
    # A reset renumbers: version 0 is now another body, and has another tag.
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers={
        **versioned, "x-preserve-latest": "true"}))[0] == 200
    invoke(update_event(bin_id, b'{"n": 2}', versioned))
    assert tag("0") not in (base_tag, tag("1"))
