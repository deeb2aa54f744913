"""Collections (/v3/c) and schema docs (/v3/s) through the Lambda handler."""

import json

import pytest
from tests.support.events import api_event, update_event
from tests.support.store import UNKNOWN_ID, Account, master

USERS = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


# Schema docs

def test_create_and_read_a_schema_doc(invoke, pro):
    before = pro.requests_remaining
    status, _, created = invoke(api_event("POST", "/v3/s", USERS, {**master(pro), "X-Schema-Doc-Name": "Users"}))
    assert status == 200, created
    assert created["record"] == USERS
    assert set(created["metadata"]) == {"id", "name", "createdAt"} and created["metadata"]["name"] == "Users"
    doc_id = created["metadata"]["id"]
    assert invoke(api_event("GET", f"/v3/s/{doc_id}", headers=master(pro)))[::2] == (200, created)
    assert pro.requests_remaining == before - 2


@pytest.mark.parametrize("body, headers, status, message", [
    (USERS, {"Content-Type": "text/plain"}, 400, "You need to pass Content-Type set to application/json"),
    (USERS, {"X-Schema-Doc-Name": None}, 400,
     "You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc"),
    (USERS, {"X-Schema-Doc-Name": "n" * 33}, 400, "Name of the Schema Doc cannot be above 32 characters"),
    (USERS, {"X-Schema-Doc-Name": "   "}, 400,
     "You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc"),
    ({"type": "no-such-type"}, {}, 400, "Schema Doc must be a valid JSON Schema: "),
    ([1, 2], {}, 400, "Schema Doc must be a valid JSON Schema: it must be a JSON object"),
    (b"{", {}, 400, "Invalid JSON. Please try again"),
    (USERS, {"x-master-key": None}, 401, "You need to pass X-Master-Key in the header"),
    (USERS, {"x-master-key": "bogus"}, 401, "Invalid X-Master-Key provided"),
])
def test_schema_doc_refusals_store_nothing(invoke, store, pro, body, headers, status, message):
    event = api_event("POST", "/v3/s", body, {**master(pro), "X-Schema-Doc-Name": "Users", **headers})
    answer = invoke(event)
    assert answer[0] == status and answer[2]["message"].startswith(message), answer
    assert store.dynamodb.scan(TableName=store.settings.schema_docs_table)["Count"] == 0


def test_schema_docs_belong_to_their_account(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS)
    other = Account(store, "pro")
    not_found = (404, {"message": "Schema Doc not found"})
    assert invoke(api_event("GET", f"/v3/s/{doc_id}", headers=master(other)))[::2] == not_found
    assert invoke(api_event("PUT", f"/v3/s/{doc_id}", {"type": "array"}, master(other)))[::2] == not_found
    assert invoke(api_event("GET", "/v3/s/nope", headers=master(pro)))[::2] == (
        400, {"message": "Invalid Schema Id provided"})
    access = {"X-Access-Key": pro.create_access_key("create", "read", "update", "delete")}
    assert invoke(api_event("GET", f"/v3/s/{doc_id}", headers=access))[0] == 401


def test_a_changed_schema_doc_validates_every_collection_it_is_attached_to(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS)
    collections = [pro.create_collection(doc_id), pro.create_collection(doc_id)]
    bins = [pro.create_bin({"name": "Ada"}, collection_id=collection_id) for collection_id in collections]
    stricter = {**USERS, "required": ["name", "age"]}

    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", stricter, master(pro)))

    assert (status, body["record"]) == (200, stricter)
    for bin_id in bins:
        status, _, body = invoke(update_event(bin_id, b'{"name": "Ada"}', {"x-master-key": pro.master_key}))
        assert (status, body["message"]) == (400, "Schema Doc Validation Mismatch: age:undefined "
                                                  "('age' is a required property)")
        assert invoke(update_event(bin_id, b'{"name": "Ada", "age": 36}', {"x-master-key": pro.master_key}))[0] == 200


def test_an_invalid_schema_doc_update_changes_nothing(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS)
    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", {"type": 7}, master(pro)))
    assert status == 400 and body["message"].startswith("Schema Doc must be a valid JSON Schema")
    assert invoke(api_event("GET", f"/v3/s/{doc_id}", headers=master(pro)))[2]["record"] == USERS


# Collections

def test_create_a_collection(invoke, store, pro):
    status, _, body = invoke(api_event("POST", "/v3/c", headers={**master(pro), "X-Collection-Name": "People"}))
    assert status == 200
    assert set(body) == {"record", "metadata"} and body["metadata"]["name"] == "People"
    assert store.collections.get(body["record"]).owner_id == pro.account_id


@pytest.mark.parametrize("headers, status, message", [
    ({"X-Collection-Name": None}, 400, "You need to pass X-Collection-Name header to set a name for the Collection"),
    ({"X-Collection-Name": "c" * 33}, 400, "Name of the Collection cannot be above 32 characters"),
    ({"X-Collection-Name": "   "}, 400, "You need to pass X-Collection-Name header to set a name for the Collection"),
    ({"x-master-key": None}, 401, "You need to pass X-Master-Key in the header"),
])
def test_collection_refusals(invoke, store, pro, headers, status, message):
    event = api_event("POST", "/v3/c", headers={**master(pro), "X-Collection-Name": "People", **headers})
    assert invoke(event)[::2] == (status, {"message": message})
    assert store.dynamodb.scan(TableName=store.settings.collections_table)["Count"] == 0


def test_attach_and_remove_a_schema_doc(invoke, store, pro):
    doc_id, collection_id = pro.create_schema_doc(USERS), pro.create_collection()
    bin_id = pro.create_bin({"anything": True}, collection_id=collection_id)
    update = lambda: invoke(update_event(bin_id, b'{"age": 1}', {"x-master-key": pro.master_key}))[0]

    status, _, body = invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add",
                                       headers={**master(pro), "X-Schema-Doc-Id": doc_id}))
    assert (status, body["collectionName"], body["schemaDocId"], body["metadata"]["id"]) == (
        200, "Collection", doc_id, collection_id)
    assert update() == 400

    status, _, body = invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/remove", headers=master(pro)))
    assert (status, body["schemaDocId"]) == (200, None)
    assert update() == 200
    assert invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/remove", headers=master(pro)))[::2] == (
        400, {"message": "The Collection has no Schema Doc attached"})
    # A detached doc no longer lists (or refreshes) the collection.
    assert store.collections.get_schema_doc(doc_id).collection_ids == frozenset()


def test_attaching_another_doc_replaces_the_first(invoke, store, pro):
    first, second = pro.create_schema_doc(USERS), pro.create_schema_doc({"type": "object", "required": ["id"]})
    collection_id = pro.create_collection(first)
    headers = {**master(pro), "X-Schema-Doc-Id": second}
    assert invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add", headers=headers))[0] == 200
    assert store.collections.get_schema_doc(first).collection_ids == frozenset()
    assert store.collections.get_schema_doc(second).collection_ids == {collection_id}
    status, _, body = invoke(api_event("POST", "/v3/b", {"name": "Ada"},
                                       {**master(pro), "X-Collection-Id": collection_id}))
    assert status == 400 and body["message"].startswith("Schema Doc Validation Mismatch: id:undefined")


@pytest.mark.parametrize("collection, schema_doc, status, message", [
    ("nope", "doc", 400, "Invalid Collection Id provided"),
    ("mine", None, 400, "You need to pass X-Schema-Doc-Id in the header"),
    ("mine", "nope", 400, "Invalid Schema Id provided"),
    ("mine", "theirs", 404, "Schema Doc not found"),
    ("theirs", "doc", 404, "Collection not found"),
    (UNKNOWN_ID, "doc", 404, "Collection not found"),
])
def test_attach_refusals(invoke, store, pro, collection, schema_doc, status, message):
    other = Account(store, "pro")
    ids = {"mine": pro.create_collection(), "theirs": other.create_collection(), "nope": "nope",
           UNKNOWN_ID: UNKNOWN_ID}
    docs = {"doc": pro.create_schema_doc(USERS), "theirs": other.create_schema_doc(USERS), "nope": "nope", None: None}
    event = api_event("PUT", f"/v3/c/{ids[collection]}/schemadoc/add",
                      headers={**master(pro), "X-Schema-Doc-Id": docs[schema_doc]})
    assert invoke(event)[::2] == (status, {"message": message})
    assert store.collections.get(ids["mine"]).schema_doc_id is None


# Replacing a collection's schema doc is one step

def test_replacing_a_collections_schema_doc_is_one_charged_transaction(invoke, store, pro):
    old = pro.create_schema_doc({"type": "object", "required": ["old"]})
    new = pro.create_schema_doc({"type": "object", "required": ["new"]})
    collection_id = pro.create_collection(old)
    pro.set_requests(1)  # enough for one step: never for a detach and then an attach
    sent = []

    def record(params, **_):
        sent.append({item[kind]["TableName"] for item in params["TransactItems"] for kind in item})

    store.dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    status, _, body = invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add",
                                       headers={**master(pro), "x-schema-doc-id": new}))
    store.dynamodb.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", record)

    assert status == 200 and body["schemaDocId"] == new
    # Every transaction sent holds the whole step (a second is sent when the first charged an empty
    # shard of the allowance: storage.charges).
    settings = store.settings
    assert sent and all(tables == {settings.collections_table, settings.schema_docs_table, settings.accounts_table}
                        for tables in sent)
    assert pro.requests_remaining == 0
    assert store.collections.get(collection_id).schema_doc_id == new
    assert store.collections.get_schema_doc(old).collection_ids == frozenset()
    assert store.collections.get_schema_doc(new).collection_ids == {collection_id}


def test_a_refused_replacement_keeps_the_old_schema_doc(invoke, store, pro):
    old = pro.create_schema_doc({"type": "object", "required": ["old"]})
    new = pro.create_schema_doc({"type": "object"})
    collection_id = pro.create_collection(old)
    pro.set_requests(0)

    status, _, body = invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add",
                                       headers={**master(pro), "x-schema-doc-id": new}))

    assert status == 403 and body["message"].startswith("Requests exhausted")
    assert store.collections.get(collection_id).schema_doc_id == old
    assert store.collections.get_schema_doc(old).collection_ids == {collection_id}


@pytest.mark.parametrize("path, header, name", [
    ("/v3/c", "X-Collection-Name", "c" * 32),
    ("/v3/s", "X-Schema-Doc-Name", "n" * 32),
])
def test_a_name_of_exactly_32_characters_is_kept(invoke, pro, path, header, name):
    body = USERS if path == "/v3/s" else None
    status, _, answer = invoke(api_event("POST", path, body, {**master(pro), header: name}))
    assert (status, answer["metadata"]["name"]) == (200, name)


# Renames


def test_rename_a_collection(invoke, store, pro):
    collection_id = pro.create_collection(name="Old")
    before = pro.requests_remaining

    status, _, body = invoke(api_event(
        "PUT", f"/v3/c/{collection_id}/meta/name", headers={**master(pro), "X-Collection-Name": "New"}))

    assert (status, body) == (200, {"record": collection_id, "metadata": {"name": "New"}})
    assert store.collections.get(collection_id).name == "New" and pro.requests_remaining == before - 1


def test_rename_a_schema_doc_keeps_its_schema_and_the_collections_copies(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS, "Old")
    collection_id = pro.create_collection(doc_id)

    status, _, body = invoke(api_event(
        "PUT", f"/v3/s/{doc_id}/meta/name", headers={**master(pro), "X-Schema-Doc-Name": "New"}))

    assert (status, body) == (200, {"metadata": {"id": doc_id, "name": "New"}})
    doc = store.collections.get_schema_doc(doc_id)
    assert (doc.name, json.loads(doc.schema_json)) == ("New", USERS)
    assert json.loads(store.collections.get(collection_id).schema_json) == USERS


def test_a_schema_doc_update_with_a_name_and_an_empty_body_renames_it_as_jsonbins_clients_do(invoke, store, pro):
    """JSONBin's samples and client libraries rename a schema doc with PUT /v3/s/<id>, X-Schema-Doc-Name
    and the body {}: the schema stays, and so does the validation of every collection using it."""
    doc_id = pro.create_schema_doc(USERS, "Old")
    collection_id = pro.create_collection(doc_id)

    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", {}, {**master(pro), "X-Schema-Doc-Name": "New"}))

    assert status == 200 and body["record"] == USERS and body["metadata"]["name"] == "New"
    assert json.loads(store.collections.get(collection_id).schema_json) == USERS
    refused = invoke(api_event("POST", "/v3/b", {"age": 1}, {**master(pro), "X-Collection-Id": collection_id}))
    assert refused[0] == 400  # still validated: "name" is required


@pytest.mark.parametrize("emptied", [
    {}, {"$schema": "http://json-schema.org/draft-07/schema#"}, {"$comment": "x", "title": "t", "description": "d"}])
def test_a_schema_doc_update_never_empties_the_schema(invoke, store, pro, emptied):
    doc_id = pro.create_schema_doc(USERS, "Users")
    collection_id = pro.create_collection(doc_id)
    before = pro.requests_remaining

    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", emptied, master(pro)))

    assert status == 400 and body["message"].startswith("A Schema Doc cannot be changed to {}")
    assert json.loads(store.collections.get_schema_doc(doc_id).schema_json) == USERS
    assert json.loads(store.collections.get(collection_id).schema_json) == USERS
    assert pro.requests_remaining == before


def test_a_schema_doc_update_with_a_name_and_a_schema_changes_both(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS, "Old")
    collection_id = pro.create_collection(doc_id)

    status, _, body = invoke(api_event(
        "PUT", f"/v3/s/{doc_id}", {"type": "array"}, {**master(pro), "X-Schema-Doc-Name": "New"}))

    assert (status, body["record"], body["metadata"]["name"]) == (200, {"type": "array"}, "New")
    assert json.loads(store.collections.get(collection_id).schema_json) == {"type": "array"}


@pytest.mark.parametrize("path, header", [
    ("/v3/c/{id}/meta/name", "X-Collection-Name"), ("/v3/s/{id}/meta/name", "X-Schema-Doc-Name")])
@pytest.mark.parametrize("target, headers, status, message", [
    ("own", {"NAME": None}, 400, "You need to pass X-"),
    ("own", {"NAME": "   "}, 400, "You need to pass X-"),
    ("own", {"NAME": "n" * 33}, 400, "Name of the "),
    ("bad id", {}, 400, "Invalid "),
    ("unknown", {}, 404, " not found"),
    ("other account's", {}, 404, " not found"),
    ("own", {"x-master-key": None}, 401, "You need to pass X-Master-Key in the header"),
    ("own", {"x-master-key": "bogus"}, 401, "Invalid X-Master-Key provided"),
])
def test_rename_refusals_change_nothing(invoke, store, pro, path, header, target, headers, status, message):
    other = Account(store, "pro")
    is_collection = path.startswith("/v3/c")

    def make(account):
        return account.create_collection(name="Old") if is_collection else account.create_schema_doc(USERS, "Old")

    ids = {"own": make(pro), "other account's": make(other), "bad id": "nope", "unknown": UNKNOWN_ID}
    headers = {header if name == "NAME" else name: value for name, value in headers.items()}
    before = pro.requests_remaining

    answer = invoke(api_event("PUT", path.format(id=ids[target]), headers={**master(pro), header: "New", **headers}))

    assert answer[0] == status and message in answer[2]["message"], answer
    get = store.collections.get if is_collection else store.collections.get_schema_doc
    assert get(ids["own"]).name == get(ids["other account's"]).name == "Old"
    assert pro.requests_remaining == before


def test_a_rename_racing_a_schema_change_loses_neither(invoke, store, pro, monkeypatch):
    """The rename lands between the change's read and its commit: the change, conditioned on the doc's
    revision (which the rename moved), is tried again on top of it, and keeps the new name."""
    import api_handler

    doc_id = pro.create_schema_doc(USERS, "Old")
    real_get = store.collections.get_schema_doc
    renamed = []

    def rename_meanwhile(schema_doc_id):
        read = real_get(schema_doc_id)
        if not renamed:
            monkeypatch.setattr(store.collections, "get_schema_doc", real_get)
            renamed.append(invoke(api_event(
                "PUT", f"/v3/s/{doc_id}/meta/name", headers={**master(pro), "X-Schema-Doc-Name": "Renamed"}))[0])
            api_handler.app.append_context(store=store)  # the nested request's end cleared this one's
        return read

    monkeypatch.setattr(store.collections, "get_schema_doc", rename_meanwhile)
    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", {"type": "array"}, master(pro)))

    assert (status, renamed) == (200, [200])
    doc = store.collections.get_schema_doc(doc_id)
    assert (doc.name, json.loads(doc.schema_json), body["metadata"]["name"]) == ("Renamed", {"type": "array"}, "Renamed")


def test_a_schema_mismatch_names_the_schema_doc_beside_the_message(invoke, store, pro):
    doc_id = pro.create_schema_doc(USERS, "Users")
    collection_id = pro.create_collection(doc_id)
    bin_id = pro.create_bin({"name": "Ada"}, collection_id=collection_id)
    for event in (api_event("POST", "/v3/b", {"age": 3}, {**master(pro), "X-Collection-Id": collection_id}),
                  update_event(bin_id, b'{"age": 3}', master(pro))):
        status, _, body = invoke(event)
        assert status == 400 and list(body) == ["message", "schemaDocID", "schemaDocName"]
        assert body["message"].startswith("Schema Doc Validation Mismatch: name:undefined")
        assert (body["schemaDocID"], body["schemaDocName"]) == (doc_id, "Users")
    # Other refusals stay {"message"} alone.
    assert list(invoke(update_event(bin_id, b"{", master(pro)))[2]) == ["message"]
