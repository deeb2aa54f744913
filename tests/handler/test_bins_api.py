"""The Bins API around updates, through the Lambda handler: create, read, versions, delete, meta.
Keys of other accounts, revoked and malformed keys, on every route: test_security.py."""

import pytest
from tests.support.events import api_event, update_event
from tests.support.store import UNKNOWN_ID, UNKNOWN_KEY, Account, body_keys, master, stored_record


def versioned_bin(invoke, account: Account, *records) -> str:
    """A bin created with {"v": 0}, then updated with versioning to each of `records`."""
    bin_id = account.create_bin({"v": 0})
    for record in records:
        assert invoke(update_event(bin_id, str(record).replace("'", '"').encode(),
                                   {**master(account), "x-bin-versioning": "true"}))[0] == 200
    return bin_id


# Create

def test_create_answers_the_record_and_its_metadata_and_spends_a_request(invoke, store, pro):
    before = pro.requests_remaining
    status, _, body = invoke(api_event("POST", "/v3/b", {"sample": "Hello World"},
                                       {**master(pro), "X-Bin-Name": "settings"}))
    assert status == 200, body
    metadata = body["metadata"]
    assert body["record"] == {"sample": "Hello World"}
    assert set(metadata) == {"id", "createdAt", "private", "name"}
    assert (metadata["private"], metadata["name"]) == (True, "settings")
    assert stored_record(store, metadata["id"]) == {"sample": "Hello World"}
    assert pro.requests_remaining == before - 1


def test_create_a_public_bin_in_a_collection(invoke, store, pro):
    collection_id = pro.create_collection()
    status, _, body = invoke(api_event("POST", "/v3/b", {"a": 1}, {**master(pro), "X-Bin-Private": "false",
                                                                    "X-Collection-Id": collection_id}))
    assert status == 200
    assert (body["metadata"]["private"], body["metadata"]["collectionId"]) == (False, collection_id)
    assert store.bins.get(body["metadata"]["id"]).private is False


@pytest.mark.parametrize("body, headers, status, message", [
    (b'{"a": 1}', {"Content-Type": "text/plain"}, 400, "You need to pass Content-Type set to application/json"),
    (b"", {}, 400, "Bin cannot be blank"),
    (b"{", {}, 400, "Invalid JSON. Please try again"),
    (b"{}", {}, 400, "Bin cannot be blank"),
    (b'{"a": 1}', {"x-master-key": None}, 401, "You need to pass X-Master-Key or X-Access-Key in the header to create a bin"),
    (b'{"a": 1}', {"x-master-key": UNKNOWN_KEY}, 401, "Invalid X-Master-Key provided"),
    (b'{"a": 1}', {"X-Bin-Name": "x" * 129}, 400, "X-Bin-Name must be between 1 and 128 characters"),
    (b'{"a": 1}', {"X-Bin-Private": "maybe"}, 400, "X-Bin-Private must be true or false"),
    (b'{"a": 1}', {"X-Collection-Id": "nope"}, 400, "Invalid Collection Id provided"),
    (b'{"a": 1}', {"X-Collection-Id": UNKNOWN_ID}, 404, "Collection not found"),
    (b'{"d": "' + b"x" * 500 * 1024 + b'"}', {}, 403, "Free users cannot update a record over 500kb"),
])
def test_create_refusals_store_and_spend_nothing(invoke, store, free, body, headers, status, message):
    before = free.requests_remaining
    event = api_event("POST", "/v3/b", body, {**master(free), **headers})
    answer = invoke(event)
    assert answer[0] == status and answer[2]["message"].startswith(message), answer
    assert free.requests_remaining == before
    assert store.s3.list_objects_v2(Bucket=store.settings.records_bucket).get("KeyCount", 0) == 0


def test_create_is_validated_against_the_collections_schema_doc(invoke, pro):
    collection_id = pro.create_collection(pro.create_schema_doc({"type": "object", "required": ["name"]}))
    headers = {**master(pro), "X-Collection-Id": collection_id}
    status, _, body = invoke(api_event("POST", "/v3/b", {"age": 1}, headers))
    assert (status, body["message"]) == (400, "Schema Doc Validation Mismatch: name:undefined "
                                               "('name' is a required property)")
    assert invoke(api_event("POST", "/v3/b", {"name": "Ada"}, headers))[0] == 200


def test_create_with_no_requests_left_is_refused(invoke, store, free):
    free.set_requests(0)
    status, _, body = invoke(api_event("POST", "/v3/b", {"a": 1}, master(free)))
    assert (status, body["message"]) == (403, "Requests exhausted. Buy additional requests at the provider that issued your API key")


@pytest.mark.parametrize("permissions, status", [(("create",), 200), (("read", "update", "delete"), 403)])
def test_an_access_key_creates_a_bin_only_with_create(invoke, store, pro, permissions, status):
    headers = {"X-Access-Key": pro.create_access_key(*permissions)}
    answer = invoke(api_event("POST", "/v3/b", {"a": 1}, headers))
    assert answer[0] == status
    if status == 200:
        assert store.bins.get(answer[2]["metadata"]["id"]).owner_id == pro.account_id  # the key's account's
    else:
        assert answer[2] == {"message": "The X-Access-Key does not have the permission to create bins"}
        assert store.dynamodb.scan(TableName=store.settings.bins_table)["Count"] == 0


def test_a_key_whose_account_was_deleted_creates_nothing_and_updates_nothing(invoke, store, pro):
    """Its key record is still there, but there is no account to charge: nobody can be."""
    bin_id = pro.create_bin({"v": 1})
    store.dynamodb.delete_item(TableName=store.settings.accounts_table, Key={"accountId": {"S": pro.account_id}})

    assert invoke(api_event("POST", "/v3/b", {"a": 1}, master(pro)))[::2] == (
        401, {"message": "Invalid X-Master-Key provided"})
    assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[::2] == (404, {"message": "Bin not found"})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[::2] == (
        404, {"message": "Bin not found or it doesn't belong to your account"})
    assert stored_record(store, bin_id) == {"v": 1}
    assert store.dynamodb.scan(TableName=store.settings.bins_table)["Count"] == 1


# Read

def test_read_latest_and_versions(invoke, pro):
    bin_id = versioned_bin(invoke, pro, {"v": 1}, {"v": 2})
    for path in (f"/v3/b/{bin_id}", f"/v3/b/{bin_id}/latest"):
        status, _, body = invoke(api_event("GET", path, headers=master(pro)))
        assert status == 200 and body["record"] == {"v": 2}
        assert body["metadata"]["id"] == bin_id and body["metadata"]["private"] is True
    # As JSONBin numbers them: the base record is version 0, each versioned update writes the next,
    # and the latest record is the highest version.
    for version, record in enumerate([{"v": 0}, {"v": 1}, {"v": 2}]):
        status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}/{version}", headers=master(pro)))
        assert status == 200 and (body["record"], body["metadata"]["version"]) == (record, version)
    count = invoke(api_event("GET", f"/v3/b/{bin_id}/versions/count", headers=master(pro)))[2]
    assert count["metadata"]["versionCount"] == 2


def test_read_spends_one_of_the_owners_requests_even_without_a_key(invoke, pro):
    bin_id = pro.create_bin({"a": 1}, private=False)
    before = pro.requests_remaining
    assert invoke(api_event("GET", f"/v3/b/{bin_id}"))[2]["record"] == {"a": 1}
    assert pro.requests_remaining == before - 1


@pytest.mark.parametrize("headers, query", [({"X-Bin-Meta": "false"}, None), ({}, {"meta": "false"})])
def test_read_without_metadata_answers_the_bare_record(invoke, pro, headers, query):
    bin_id = pro.create_bin({"a": [1, 2]})
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers={**master(pro), **headers}, query=query))
    assert (status, body) == (200, {"a": [1, 2]})


def test_read_with_a_json_path_answers_the_matches(invoke, pro):
    bin_id = pro.create_bin({"users": [{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]})
    read = lambda path: invoke(api_event("GET", f"/v3/b/{bin_id}", headers={**master(pro), "X-JSON-Path": path}))
    assert read("$.users[*].name")[2]["record"] == ["Ada", "Alan"]
    assert read("$..users[?(@.age > 40)].name")[2]["record"] == ["Alan"]
    assert read("users[0].name")[2]["record"] == ["Ada"]
    assert read("$.users[")[:3:2] == (400, {"message": "Invalid X-JSON-Path expression passed"})


@pytest.mark.parametrize("path, headers, status, message", [
    ("/v3/b/nope", "owner", 400, "Invalid Bin Id provided"),
    (f"/v3/b/{UNKNOWN_ID}", "owner", 404, "Bin not found or it doesn't belong to your account"),
    ("/v3/b/{bin}", None, 401, "You need to pass X-Master-Key or X-Access-Key in the header to read a private bin"),
    ("/v3/b/{bin}", "bogus", 401, "X-Master-Key is invalid or the bin doesn't belong to your account"),
    ("/v3/b/{bin}/-1", "owner", 400, "Bin version is invalid"),
    ("/v3/b/{bin}/one", "owner", 400, "Bin version is invalid"),
    ("/v3/b/{bin}/2", "owner", 404, "Bin version not found"),
])
def test_read_refusals(invoke, store, pro, path, headers, status, message):
    bin_id = versioned_bin(invoke, pro, {"v": 1})
    keys = {"owner": master(pro), "bogus": {"x-master-key": UNKNOWN_KEY}, None: {}}[headers]
    before = pro.requests_remaining
    assert invoke(api_event("GET", path.format(bin=bin_id), headers=keys))[::2] == (status, {"message": message})
    assert pro.requests_remaining == before


def test_read_with_no_requests_left_is_refused(invoke, pro):
    bin_id = pro.create_bin()
    pro.set_requests(0)
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))
    assert (status, body["message"]) == (403, "Requests exhausted. Buy additional requests at the provider that issued your API key")


# Versions

def test_count_versions(invoke, pro):
    bin_id = versioned_bin(invoke, pro, {"v": 1}, {"v": 2})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/versions/count", headers=master(pro)))[::2] == (
        200, {"metadata": {"id": bin_id, "versionCount": 2, "private": True}})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/versions/count"))[::2] == (
        401, {"message": "You need to pass X-Master-Key or X-Access-Key in the header to get version count for the "
                         "private bin"})


def test_delete_versions_goes_back_to_the_base_record(invoke, store, pro):
    bin_id = versioned_bin(invoke, pro, {"v": 1}, {"v": 2})
    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))
    assert (status, body) == (200, {"metadata": {"id": bin_id, "versionsDeleted": 2},
                                    "message": "Versions for the Bin are deleted successfully"})
    assert stored_record(store, bin_id) == {"v": 0}
    assert store.bins.get(bin_id).version_count == 0 and store.bins.version_rows(bin_id) == []
    assert body_keys(store, bin_id) == [store.bins.get(bin_id).object_key]


def test_delete_versions_preserving_the_latest(invoke, store, pro):
    bin_id = versioned_bin(invoke, pro, {"v": 1}, {"v": 2})
    headers = {**master(pro), "X-Preserve-Latest": "true"}
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=headers))[0] == 200
    assert stored_record(store, bin_id) == {"v": 2}
    assert body_keys(store, bin_id) == [store.bins.get(bin_id).object_key]
    # Versioning starts again from the base record, version 0.
    versioned_update = {**master(pro), "x-bin-versioning": "true"}
    assert invoke(update_event(bin_id, b'{"v": 3}', versioned_update))[0] == 200
    assert [stored_record(store, bin_id, n) for n in (0, 1)] == [{"v": 2}, {"v": 3}]


def test_delete_versions_needs_the_master_key(invoke, pro):
    bin_id = pro.create_bin(private=False)
    access = {"X-Access-Key": pro.create_access_key("create", "read", "update", "delete")}
    for headers, message in [({}, "You need to pass X-Master-Key in the header"),
                             (access, "X-Access-Key is invalid or the bin doesn't belong to your account")]:
        assert invoke(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=headers))[::2] == (
            401, {"message": message})


# Delete

def test_delete_removes_the_bin_its_versions_and_bodies(invoke, store, pro):
    bin_id = versioned_bin(invoke, pro, {"v": 1})
    before = pro.requests_remaining
    status, _, body = invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))
    assert (status, body) == (200, {"metadata": {"id": bin_id, "versionsDeleted": 1},
                                    "message": "Bin deleted successfully"})
    assert store.bins.get(bin_id) is None and store.bins.version_rows(bin_id) == [] and body_keys(store, bin_id) == []
    assert pro.requests_remaining == before - 1
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 404


@pytest.mark.parametrize("who, status, message", [
    (None, 401, "You need to pass X-Master-Key or X-Access-Key in the header to delete a bin"),
    ("other", 401, "X-Master-Key is invalid or the bin doesn't belong to your account"),
    ("reader", 403, "The X-Access-Key does not have the permission to delete bins"),
])
def test_delete_refusals_keep_the_bin(invoke, store, pro, who, status, message):
    bin_id = pro.create_bin(private=False)
    headers = {None: {}, "other": master(Account(store, "pro")),
               "reader": {"X-Access-Key": pro.create_access_key("read")}}[who]
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=headers))[::2] == (status, {"message": message})
    assert store.bins.get(bin_id) is not None


def test_an_access_key_with_delete_permission_deletes(invoke, store, pro):
    bin_id = pro.create_bin()
    headers = {"X-Access-Key": pro.create_access_key("delete")}
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=headers))[0] == 200
    assert store.bins.get(bin_id) is None


# Privacy and name

def test_privacy_can_be_turned_off_and_on(invoke, store, pro):
    bin_id = pro.create_bin()
    path = f"/v3/b/{bin_id}/meta/privacy"
    assert invoke(api_event("PUT", path, headers={**master(pro), "X-Bin-Private": "false"}))[::2] == (
        200, {"record": bin_id, "metadata": {"private": False}})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}"))[0] == 200
    assert invoke(api_event("PUT", path, headers={**master(pro), "X-Bin-Private": "true"}))[0] == 200
    assert invoke(api_event("GET", f"/v3/b/{bin_id}"))[0] == 401


@pytest.mark.parametrize("headers, status, message", [
    ({}, 400, "You need to provide X-Bin-Private header to change the Bin privacy"),
    ({"X-Bin-Private": "perhaps"}, 400, "X-Bin-Private must be true or false"),
    ({"x-master-key": None, "X-Bin-Private": "false"}, 401, "You need to pass X-Master-Key in the header"),
])
def test_privacy_refusals(invoke, store, pro, headers, status, message):
    bin_id = pro.create_bin()
    event = api_event("PUT", f"/v3/b/{bin_id}/meta/privacy", headers={**master(pro), **headers})
    assert invoke(event)[::2] == (status, {"message": message})
    assert store.bins.get(bin_id).private is True


def test_name_can_be_set_and_changed(invoke, store, pro):
    bin_id = pro.create_bin()
    path = f"/v3/b/{bin_id}/meta/name"
    assert invoke(api_event("PUT", path, headers={**master(pro), "X-Bin-Name": "Game saves"}))[::2] == (
        200, {"record": bin_id, "metadata": {"name": "Game saves"}})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[2]["metadata"]["name"] == "Game saves"
    assert invoke(api_event("PUT", path, headers=master(pro)))[::2] == (
        400, {"message": "You need to provide X-Bin-Name header to change the Bin name"})
    assert invoke(api_event("PUT", path, headers={**master(pro), "X-Bin-Name": "n" * 129}))[0] == 400
    assert store.bins.get(bin_id).name == "Game saves"


# Access keys on the Update API

def test_access_keys_update_only_with_the_update_permission(invoke, store, pro):
    bin_id = pro.create_bin({"v": 0})
    writer, reader = pro.create_access_key("update"), pro.create_access_key("read")
    assert invoke(update_event(bin_id, b'{"v": 1}', {"x-access-key": writer}))[0] == 200
    assert invoke(update_event(bin_id, b'{"v": 2}', {"x-access-key": reader}))[::2] == (
        403, {"message": "The X-Access-Key does not have the permission to update bins"})
    assert stored_record(store, bin_id) == {"v": 1}


def test_a_master_key_is_not_an_access_key_nor_the_reverse(invoke, pro):
    bin_id = pro.create_bin()
    access = pro.create_access_key("read", "update")
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": pro.master_key}))[0] == 401
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Master-Key": access}))[0] == 401
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": access}))[0] == 200
