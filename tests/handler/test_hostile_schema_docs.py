"""Hostile schema docs, as an attacker writes them: nothing is fetched from outside (SSRF), a doc that
could never validate is refused when made, and validating a record is bounded: a 400, never a 500.

The other hostile input: test_hostile_json_paths.py (X-JSON-Path), test_hostile_reads.py (versions,
numbers, and what a read is charged), test_hostile_values.py (every header and path parameter).
"""

import json

import pytest
from binstore.model import SchemaDoc, utc_now
from tests.support.events import api_event, update_event
from tests.support.store import master, stored_record


# Outside access through schema docs (SSRF)

@pytest.mark.parametrize("ref", ["{server}", "{server}#/definitions/a", "file:///etc/passwd",
                                 "http://169.254.169.254/latest/meta-data/", "other.json",
                                 "http://json-schema.org/draft-07/schema#"])
def test_a_schema_doc_referring_outside_itself_is_refused_and_nothing_is_fetched(invoke, pro, fetches, ref):
    opened, server = fetches
    ref = ref.format(server=server)
    schema = {"type": "object", "properties": {"a": {"$ref": ref}}}
    remaining = pro.requests_remaining

    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))

    assert status == 400
    assert body["message"].startswith(f"Schema Doc can only refer to itself: the reference {json.dumps(ref)}")
    doc_id = pro.create_schema_doc({"type": "object"})
    status, _, body = invoke(api_event("PUT", f"/v3/s/{doc_id}", schema, master(pro)))
    assert status == 400 and json.dumps(ref) in body["message"]
    assert invoke(api_event("GET", f"/v3/s/{doc_id}", headers=master(pro)))[2]["record"] == {"type": "object"}
    assert opened == []
    assert pro.requests_remaining == remaining - 2  # the doc made, and the read: not the refusals


@pytest.mark.parametrize("schema", [
    {"properties": {"a": {"$ref": "#/definitions/nope"}}},
    {"$id": "http://example.com/root.json", "properties": {"a": {"$ref": "missing.json"}}},
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"a": {"$dynamicRef": "#nowhere"}}},
])
def test_a_reference_that_resolves_nowhere_is_refused_at_creation(invoke, pro, fetches, schema):
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert status == 400 and body["message"].startswith("Schema Doc can only refer to itself")
    assert fetches[0] == []


@pytest.mark.parametrize("schema", [
    {"definitions": {"name": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/name"}}},
    {"$id": "http://example.com/root.json", "definitions": {"name": {"$id": "name.json", "type": "string"}},
     "properties": {"a": {"$ref": "name.json"}}},
    {"$id": "http://example.com/root.json", "definitions": {"name": {"type": "string"}},
     "properties": {"a": {"$ref": "http://example.com/root.json#/definitions/name"}}},
    {"$schema": "https://json-schema.org/draft/2020-12/schema",
     "$defs": {"name": {"$anchor": "name", "type": "string"}}, "properties": {"a": {"$ref": "#name"}}},
])
def test_references_inside_the_schema_doc_validate_records(invoke, pro, fetches, schema):
    status, _, created = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert status == 200
    collection_id = pro.create_collection(created["metadata"]["id"])
    create = {**master(pro), "x-collection-id": collection_id}

    assert invoke(api_event("POST", "/v3/b", {"a": "text"}, create))[0] == 200
    status, _, body = invoke(api_event("POST", "/v3/b", {"a": 1}, create))
    assert status == 400 and body["message"].startswith("Schema Doc Validation Mismatch: a:1")
    assert fetches[0] == []


def test_a_schema_doc_stored_before_refs_were_checked_answers_400_on_writes_and_fetches_nothing(
        invoke, store, pro, fetches):
    opened, server = fetches
    collection_id = pro.create_collection()
    bin_id = pro.create_bin({"a": "before"}, collection_id=collection_id)
    doc = SchemaDoc("0123456789abcdef01234567", pro.account_id, "Old",
                    json.dumps({"properties": {"a": {"$ref": server}}}), utc_now())
    store.collections.create_schema_doc(doc)  # as an older version stored it, unchecked
    store.collections.attach_schema_doc(store.collections.get(collection_id), doc)
    remaining = pro.requests_remaining

    for event in (update_event(bin_id, b'{"a": "after"}', master(pro)),
                  api_event("POST", "/v3/b", {"a": "new"}, {**master(pro), "x-collection-id": collection_id})):
        status, _, body = invoke(event)
        assert status == 400
        assert body["message"].startswith("Schema Doc Validation Mismatch: the Schema Doc cannot be applied")
        assert server not in body["message"]

    assert stored_record(store, bin_id) == {"a": "before"}
    assert pro.requests_remaining == remaining
    assert opened == []


def test_a_record_too_deep_for_a_recursive_schema_doc_is_refused_not_crashed(invoke, pro):
    tree = {"definitions": {"node": {"properties": {"a": {"$ref": "#/definitions/node"}}}}, "$ref": "#/definitions/node"}
    collection_id = pro.create_collection(pro.create_schema_doc(tree))
    record = 1
    for _ in range(3000):
        record = {"a": record}
    status, _, body = invoke(api_event("POST", "/v3/b", record, {**master(pro), "x-collection-id": collection_id}))
    assert (status, body["message"]) == (400, "Schema Doc Validation Mismatch: $:<nested too deeply to validate>")


@pytest.mark.parametrize("schema, why", [
    ({"$ref": "#"}, "it refers to itself without end"),
    ({"$schema": "http://json-schema.org/draft-03/schema#", "type": "x"},
     "it cannot be applied to records (a type its draft does not define, a $ref to something that is not a "
     "schema, ...)"),
    ({"title": "a", "$ref": "#/title"}, "its $ids and subschemas cannot be resolved as this draft defines them"),
    ({"$schema": "http://json-schema.org/draft-03/schema#", "extends": {"type": "string"}},
     "its $ids and subschemas cannot be resolved as this draft defines them"),
])
def test_a_schema_doc_that_could_never_validate_anything_is_refused_at_creation(invoke, pro, schema, why):
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert (status, body) == (400, {"message": f"Schema Doc must be a valid JSON Schema: {why}"})


def test_a_type_its_draft_does_not_define_refuses_records_it_reaches_not_crashes(invoke, pro):
    schema = {"$schema": "http://json-schema.org/draft-03/schema#", "properties": {"p": {"type": "x"}}}
    collection_id = pro.create_collection(pro.create_schema_doc(schema))
    create = {**master(pro), "x-collection-id": collection_id}
    assert invoke(api_event("POST", "/v3/b", {"q": 1}, create))[0] == 200
    status, _, body = invoke(api_event("POST", "/v3/b", {"p": 1}, create))
    assert status == 400 and body["message"].startswith("Schema Doc Validation Mismatch: the Schema Doc cannot be")


@pytest.mark.parametrize("schema, record", [
    ({"properties": {"price": {"multipleOf": 0.01}}}, b'{"price": 1' + b"0" * 400 + b"}"),  # OverflowError
    ({"$schema": "http://json-schema.org/draft-04/schema#", "patternProperties": {"(": {}}}, b'{"a": 1}'),
    ({"$schema": "http://json-schema.org/draft-03/schema#", "properties": {"p": {"type": "x"}}}, b'{"p": 1}'),
])
def test_a_schema_doc_jsonschema_cannot_apply_refuses_writes_with_400_never_500(invoke, pro, schema, record):
    collection_id = pro.create_collection(pro.create_schema_doc(schema))
    bin_id = pro.create_bin([1], collection_id=collection_id, private=False)  # no member for the schema to reach
    for event in (update_event(bin_id, record), api_event("POST", "/v3/b", record,
                                                          {**master(pro), "x-collection-id": collection_id})):
        status, _, body = invoke(event)
        assert status == 400 and body["message"].startswith("Schema Doc Validation Mismatch: the Schema Doc cannot be")


def test_a_ref_into_a_part_that_is_not_a_subschema_is_checked_too(invoke, pro, fetches):
    opened, server = fetches
    schema = {"const": {"$ref": server}, "properties": {"a": {"$ref": "#/const"}}}
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert status == 400 and body["message"].startswith(f"Schema Doc can only refer to itself: the reference "
                                                        f"{json.dumps(server)}")
    assert opened == []


def test_a_schema_mismatch_message_is_bounded_whatever_the_record(invoke, pro):
    collection_id = pro.create_collection(pro.create_schema_doc({"type": "object"}))
    record = json.dumps(["\u007f" * 150_000]).encode()  # 900 KB as sent; jsonschema quotes it whole
    status, _, body = invoke(api_event("POST", "/v3/b", record, {**master(pro), "x-collection-id": collection_id}))
    assert status == 400 and len(body["message"]) < 600


def test_a_schema_doc_with_a_lone_surrogate_is_stored_escaped(invoke, pro):
    body = b'{"enum": ["\\ud800", "ok"]}'
    status, _, created = invoke(api_event("POST", "/v3/s", body, {**master(pro), "x-schema-doc-name": "S"}))
    assert status == 200 and created["record"] == {"enum": ["\ud800", "ok"]}


def test_validation_is_bounded_per_request_not_per_retried_commit(invoke, store, pro, monkeypatch):
    from binstore import updates

    collection_id = pro.create_collection(pro.create_schema_doc({"type": "object"}))
    bin_id = pro.create_bin({"q": 1}, collection_id=collection_id)
    validations, conflicts = [], []
    monkeypatch.setattr(updates, "validate_in_collection", lambda store, collection, record: validations.append(record))
    original = store.bins.commit_update

    def conflict_twice(*args, **kwargs):
        if len(conflicts) < 2:
            conflicts.append(1)
            raise updates.CommitConflict()
        return original(*args, **kwargs)

    monkeypatch.setattr(store.bins, "commit_update", conflict_twice)
    assert invoke(update_event(bin_id, b'{"a": 1}', master(pro)))[0] == 200
    assert len(conflicts) == 2 and validations == [{"a": 1}]


def test_a_schema_doc_over_100kb_is_refused(invoke, pro):
    schema = {"type": "object", "description": "x" * 100 * 1024}
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert (status, body) == (400, {"message": "Schema Doc cannot be larger than 100kb"})


def test_a_schema_doc_with_a_dialect_that_is_not_a_string_is_refused(invoke, pro):
    status, _, body = invoke(api_event("POST", "/v3/s", {"$schema": 5}, {**master(pro), "x-schema-doc-name": "S"}))
    assert (status, body) == (400, {"message": "Schema Doc must be a valid JSON Schema: $schema must be a string"})


def test_a_catastrophic_pattern_is_cut_off_and_the_write_refused(invoke, store, pro):
    # (a+)+$ against 40 a's and a '!' backtracks 2**40 times: hours, without the bound.
    collection_id = pro.create_collection(pro.create_schema_doc({"properties": {"a": {"pattern": "(a+)+$"}}}))
    bin_id = pro.create_bin({"a": "aa"}, collection_id=collection_id)
    remaining = pro.requests_remaining

    status, _, body = invoke(update_event(bin_id, json.dumps({"a": "a" * 40 + "!"}).encode(), master(pro)))

    assert status == 400 and body["message"] == ("Schema Doc Validation Mismatch: validating the record takes more "
                                                 "than 1s: simplify the Schema Doc (its patterns, uniqueItems, or "
                                                 "branches and references that multiply), or the record")
    assert stored_record(store, bin_id) == {"a": "aa"}
    assert pro.requests_remaining == remaining
    assert invoke(update_event(bin_id, b'{"a": "aaaa"}', master(pro)))[0] == 200  # the pattern itself works


def test_a_schema_doc_too_costly_to_check_is_refused(invoke, pro):
    # Draft 4's meta-schema wants `enum` unique: objects are compared pairwise.
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "enum": [{"a": i} for i in range(5000)]}
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert (status, body) == (400, {"message": "Schema Doc takes more than 1s to check: simplify it"})
