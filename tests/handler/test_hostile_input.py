"""Hostile input, as an attacker sends it: no outside access, bounded work, never a 500, refusals free.

Each class of attack has its tests here, through the Lambda handler against moto; the fuzzing of
every header and path parameter is in test_hostile_values.py.
"""

import http.server
import json
import threading
import urllib.request

import pytest
from binstore import errors, jsonpaths
from binstore.model import SchemaDoc, utc_now
from botocore.exceptions import ClientError
from tests.conftest import api_event, stored_record, update_event


@pytest.fixture
def fetches(monkeypatch):
    """Every URL or file the code tries to open (urlopen is how jsonschema fetches a remote $ref), plus
    the requests a real server on loopback receives: both must stay empty."""
    opened = []

    def no_urlopen(url, *args, **kwargs):
        opened.append(getattr(url, "full_url", url))
        raise OSError("the test forbids opening URLs")

    monkeypatch.setattr(urllib.request, "urlopen", no_urlopen)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            opened.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "string", "description": "fetched"}')

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield opened, f"http://127.0.0.1:{server.server_address[1]}/schema.json"
    server.shutdown()
    server.server_close()


def master(account) -> dict:
    return {"x-master-key": account.master_key}


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
    assert (status, body) == (400, {"message": "Schema Doc Validation Mismatch: $:<nested too deeply to validate>"})


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
    bin_id = pro.create_bin({}, collection_id=collection_id, private=False)
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
    bin_id = pro.create_bin({}, collection_id=collection_id)
    validations, conflicts = [], []
    monkeypatch.setattr(updates, "validate_record", lambda schema, record: validations.append(record))
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
                                                 "than 1s: simplify the Schema Doc's patterns or uniqueItems, or the "
                                                 "record")
    assert stored_record(store, bin_id) == {"a": "aa"}
    assert pro.requests_remaining == remaining
    assert invoke(update_event(bin_id, b'{"a": "aaaa"}', master(pro)))[0] == 200  # the pattern itself works


def test_a_schema_doc_too_costly_to_check_is_refused(invoke, pro):
    # Draft 4's meta-schema wants `enum` unique: objects are compared pairwise.
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "enum": [{"a": i} for i in range(5000)]}
    status, _, body = invoke(api_event("POST", "/v3/s", schema, {**master(pro), "x-schema-doc-name": "S"}))
    assert (status, body) == (400, {"message": "Schema Doc takes more than 1s to check: simplify it"})


# Bounded work per request: X-JSON-Path

def read(invoke, bin_id: str, path: str, headers: dict | None = None):
    return invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"x-json-path": path, **(headers or {})}))


JSONBIN_PAGE_RECORD = {"moduleAccess": {
    "users": [
        {"id": "1", "firstName": "Nigel", "age": 23, "gender": "male", "country": "Australia"},
        {"id": "2", "firstName": "Evelyn", "age": 28, "gender": "female", "country": "Indonesia"},
        {"id": "3", "firstName": "Michelle", "age": 27, "gender": "female", "country": "Spain"},
    ],
    "userPermissions": {"createGrant": True, "editGrant": False},
}}
USERS = JSONBIN_PAGE_RECORD["moduleAccess"]["users"]


@pytest.mark.parametrize("path, selected", [
    ("$.moduleAccess.users[*].firstName", ["Nigel", "Evelyn", "Michelle"]),
    ("$..country", ["Australia", "Indonesia", "Spain"]),
    ("$.moduleAccess.*", [USERS, JSONBIN_PAGE_RECORD["moduleAccess"]["userPermissions"]]),
    ("$.moduleAccess..age", [23, 28, 27]),
    ("$..users[2]", [USERS[2]]),
    ("$..users[-1:]", [USERS[2]]),
    ("$..users[0,1]", USERS[:2]),
    ("$..users[:2]", USERS[:2]),
    ("$..users[?(@.age > 25)].firstName", ["Evelyn", "Michelle"]),
    ("$..users[?(@.gender == 'male' || @.age <= 27)].id", ["1", "3"]),
    ("$..users[?(@.id)].id", ["1", "2", "3"]),
    ("$['moduleAccess']['userPermissions']['createGrant','editGrant']", [True, False]),
    ("moduleAccess.users[0].firstName", ["Nigel"]),
    ("$", [JSONBIN_PAGE_RECORD]),
])
def test_the_json_path_jsonbin_documents_works(invoke, pro, path, selected):
    bin_id = pro.create_bin(JSONBIN_PAGE_RECORD)
    status, _, body = read(invoke, bin_id, path, master(pro))
    assert (status, body["record"]) == (200, selected)


UNSUPPORTED = [
    "$..users[?(@.firstName =~ '(a+)+$')]",  # regex: catastrophic backtracking
    "$.moduleAccess.`sub(/(a+)+$/, x)`",
    "$.f * 10",  # arithmetic: 1e308 * 10 is infinity, which JSON cannot carry
    "$..a..a..a..a..b",  # chained descents multiply each other
    "$.moduleAccess.users.`len`",
    "$.a | $.b",
    "$..users[?(@..age)]",
    "$..users[/age]",
    "$.moduleAccess.`parent`",
    "$[?(@.age == $.x)]",
    "$..users[?(@.age > NaN)]",  # an unquoted word is a string to jsonpath-ng: "old" > "NaN"
    "$..users[?(@.age > 1 & @.age < 30)]",
]
INVALID = ["$.`split(,)`", "$..users[?(@.firstName =~ /[/)]", "$..users[(@.length-1)]", "$[", "'", " "]


@pytest.mark.parametrize("path", UNSUPPORTED + INVALID)
def test_an_expression_outside_the_subset_is_refused_before_any_aws_call_and_costs_nothing(
        invoke, pro, aws_calls, path):
    bin_id = pro.create_bin({**JSONBIN_PAGE_RECORD, "f": 1e308})
    remaining = pro.requests_remaining
    aws_calls.clear()

    status, _, body = read(invoke, bin_id, path, master(pro))

    assert status == 400
    expected = "X-JSON-Path uses " if path in UNSUPPORTED else "Invalid X-JSON-Path expression passed"
    assert body["message"].startswith(expected)
    assert aws_calls == []
    assert pro.requests_remaining == remaining


def nested(depth: int):
    record = 1
    for _ in range(depth):
        record = [record]
    return record


def test_work_is_bounded_and_a_costly_expression_is_refused_and_given_back(invoke, pro):
    # Each union of ten copies multiplies the matches by ten: 10**40 if nothing stopped it.
    bin_id = pro.create_bin(nested(40), private=False)
    remaining = pro.requests_remaining

    status, _, body = read(invoke, bin_id, "$" + "[0,0,0,0,0,0,0,0,0,0]" * 40)

    assert (status, body) == (400, {"message": "X-JSON-Path needs more work on this record than one read may "
                                               "take: narrow the expression"})
    assert pro.requests_remaining == remaining


def test_the_work_count_stops_an_expression_before_the_time_bound(invoke, pro, monkeypatch):
    monkeypatch.setattr(jsonpaths, "MAX_WORK", 1000)
    monkeypatch.setattr(jsonpaths, "MAX_SECONDS", 10**6)
    bin_id = pro.create_bin(list(range(2000)), private=False)
    assert read(invoke, bin_id, "$[:900]")[0] == 200
    status, _, body = read(invoke, bin_id, "$[*]")
    assert status == 400 and body["message"].startswith("X-JSON-Path needs more work")


def test_an_expression_of_too_many_steps_is_refused_before_any_aws_call(invoke, pro, aws_calls):
    bin_id = pro.create_bin({"a": 1})
    aws_calls.clear()
    status, _, body = read(invoke, bin_id, "$" + ".a" * 101, master(pro))
    assert status == 400 and body["message"].startswith("X-JSON-Path uses more than 100 steps")
    assert aws_calls == []


def test_the_time_bound_stops_what_the_work_count_lets_through(invoke, pro, monkeypatch):
    monkeypatch.setattr(jsonpaths, "MAX_WORK", 10**12)
    monkeypatch.setattr(jsonpaths, "MAX_SECONDS", 0.05)
    bin_id = pro.create_bin(nested(40), private=False)
    status, _, body = read(invoke, bin_id, "$" + "[0,0,0,0,0,0,0,0,0,0]" * 40)
    assert status == 400 and body["message"].startswith("X-JSON-Path needs more work")


def test_an_answer_over_a_megabyte_is_refused_not_truncated_and_given_back(invoke, pro):
    # 900 KB of record; $..* repeats each level's content once per level above it.
    record = {"a": {"b": {"c": {"d": ["x" * 100] * 9000}}}}
    bin_id = pro.create_bin(record)
    remaining = pro.requests_remaining

    status, _, body = read(invoke, bin_id, "$..*", master(pro))

    assert (status, body) == (400, {"message": "X-JSON-Path selects more than 1024kb of this record: "
                                               "narrow the expression"})
    assert pro.requests_remaining == remaining
    assert read(invoke, bin_id, "$.a.b.c.d[0]", master(pro))[2]["record"] == ["x" * 100]


def test_a_record_at_the_parsers_deepest_reads_back_whole_through_json_path(invoke, pro):
    depth = 9000
    bin_id = pro.create_bin(nested(depth))
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers={
        **master(pro), "x-json-path": "$", "x-bin-meta": "false"}))
    assert status == 200
    text = json.dumps(body)
    assert text.count("[") == depth + 1  # the record, inside the list of matches


def test_a_deep_record_cannot_amplify_a_10kb_record_into_megabytes(invoke, pro):
    # $..* answers every level with all the levels below it: 5000 levels make 25 MB of answer.
    bin_id = pro.create_bin(nested(5000), private=False)
    remaining = pro.requests_remaining
    status, _, body = read(invoke, bin_id, "$..*")
    assert status == 400 and body["message"].startswith("X-JSON-Path selects more than 1024kb")
    assert pro.requests_remaining == remaining


def test_an_expression_too_deep_for_the_interpreter_is_refused_not_crashed():
    class TooDeep:
        def find(self, _):
            raise RecursionError()

    path = jsonpaths.JsonPath("$", TooDeep())
    with pytest.raises(errors.JsonPathTooDeep):
        jsonpaths.select_json(path, "[1]")


# Never a 500 on input

def test_a_huge_if_match_is_a_precondition_failure(invoke, pro):
    bin_id = pro.create_bin({"a": 0})
    status, _, body = invoke(update_event(bin_id, b'{"a": 1}', {**master(pro), "if-match": '"' + "9" * 5000 + '"'}))
    assert status == 412 and body["message"].startswith("The bin has changed")
    assert stored_record(pro.store, bin_id) == {"a": 0}


def test_if_match_compares_entity_tags_as_strings(invoke, pro):
    bin_id = pro.create_bin({"a": 0})
    assert invoke(update_event(bin_id, b'{"a": 1}', master(pro)))[1]["ETag"] == '"2"'
    assert invoke(update_event(bin_id, b'{"a": 2}', {**master(pro), "if-match": '"02"'}))[0] == 412
    assert invoke(update_event(bin_id, b'{"a": 2}', {**master(pro), "if-match": '"2 "'}))[0] == 412
    assert stored_record(pro.store, bin_id) == {"a": 1}
    assert invoke(update_event(bin_id, b'{"a": 2}', {**master(pro), "if-match": '"2"'}))[0] == 200


@pytest.mark.parametrize("version, status, message", [
    ("9" * 5000, 404, "Bin version not found"),
    ("1001", 404, "Bin version not found"),
    ("0", 400, "Bin version is invalid"),
    ("1²", 400, "Bin version is invalid"),
])
def test_a_version_no_bin_can_have_is_refused_without_any_aws_call(invoke, pro, aws_calls, version, status,
                                                                   message):
    bin_id = pro.create_bin()
    aws_calls.clear()
    assert invoke(api_event("GET", f"/v3/b/{bin_id}/{version}", headers=master(pro)))[:3:2] == (
        status, {"message": message})
    assert aws_calls == []


@pytest.mark.parametrize("number", [b"1e-400", b"-2.5e-999", b"0." + b"0" * 400 + b"1"])
def test_a_number_that_would_underflow_to_zero_is_refused_like_one_that_overflows(invoke, pro, number):
    bin_id = pro.create_bin({"a": 0})
    for event in (update_event(bin_id, b'{"a": ' + number + b"}", master(pro)),
                  api_event("POST", "/v3/b", b'{"a": ' + number + b"}", master(pro))):
        status, _, body = invoke(event)
        assert (status, body) == (400, {"message": "Bin must be valid JSON: a number is out of range"})
    assert stored_record(pro.store, bin_id) == {"a": 0}


def test_zero_and_the_smallest_doubles_are_still_stored(invoke, pro):
    bin_id = pro.create_bin()
    body = b'{"a": 0.0, "b": 0e-10, "c": 5e-324, "d": 1e-300, "e": "1e-400"}'
    assert invoke(update_event(bin_id, body, master(pro)))[0] == 200
    assert stored_record(pro.store, bin_id) == {"a": 0.0, "b": 0.0, "c": 5e-324, "d": 1e-300, "e": "1e-400"}


# Refusals are never charged

def replace_the_body_during_the_first_fetch(invoke, store, pro, monkeypatch, bin_id: str) -> None:
    """The first body fetch of a read meets a concurrent update whose cleanup deleted the old body."""
    original = store.bodies.read
    raced = []

    def read_body_after_a_concurrent_update(object_key):
        if not raced:
            raced.append(object_key)
            assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[0] == 200
            store.bodies.delete(object_key)  # as the cleanup function does with a replaced body
        return original(object_key)

    monkeypatch.setattr(store.bodies, "read", read_body_after_a_concurrent_update)


def test_a_read_whose_body_vanishes_meanwhile_is_charged_once(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin({"v": 1})
    replace_the_body_during_the_first_fetch(invoke, store, pro, monkeypatch, bin_id)
    remaining = pro.requests_remaining

    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))

    assert (status, body["record"]) == (200, {"v": 2})
    assert pro.requests_remaining == remaining - 2  # the concurrent update, and this read once


def test_a_read_whose_bin_is_deleted_meanwhile_answers_404_and_costs_nothing(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin({"v": 1})
    original = store.bodies.read

    def read_body_after_a_concurrent_delete(object_key):
        assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 200
        return original(object_key)

    monkeypatch.setattr(store.bodies, "read", read_body_after_a_concurrent_delete)
    remaining = pro.requests_remaining

    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))

    assert (status, body) == (404, {"message": "Bin not found or it doesn't belong to your account"})
    assert pro.requests_remaining == remaining - 1  # the delete only


def test_a_json_path_read_is_charged_only_once_its_answer_is_ready(invoke, store, pro, monkeypatch):
    """A costly expression that ends refused never holds one of the owner's requests while it runs."""
    bin_id = pro.create_bin({"a": [1, 2]}, private=False)
    pro.set_requests(1)
    seen = []
    original = jsonpaths.select_json

    def select_json_watching_the_allowance(path, text):
        seen.append(pro.requests_remaining)
        return original(path, text)

    monkeypatch.setattr("binstore.bins.select_json", select_json_watching_the_allowance)
    status, _, body = read(invoke, bin_id, "$.a[*]")
    assert (status, body["record"]) == (200, [1, 2])
    assert seen == [1]  # still unspent while the expression ran
    assert pro.requests_remaining == 0


def test_a_read_that_paid_the_last_request_is_not_refused_when_it_must_retry(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin({"v": 1})
    pro.set_requests(2)
    replace_the_body_during_the_first_fetch(invoke, store, pro, monkeypatch, bin_id)
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))
    assert (status, body["record"]) == (200, {"v": 2})
    assert pro.requests_remaining == 0


def test_a_refund_carries_a_token_so_a_retry_of_a_lost_answer_applies_once(store, pro):
    """botocore retries a call whose answer was lost; with the same ClientRequestToken, DynamoDB
    applies a transaction once (moto does not emulate that: the token being sent is what is checked)."""
    tokens = []
    store.dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems",
                                        lambda params, **_: tokens.append(params.get("ClientRequestToken")))
    remaining = pro.requests_remaining
    store.charges.refund(pro.account_id)
    store.charges.refund(pro.account_id)
    assert pro.requests_remaining == remaining + 2
    assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(token) >= 32 for token in tokens)


def test_a_body_lost_for_good_answers_503_at_once_and_costs_nothing(invoke, store, pro, aws_calls):
    bin_id = pro.create_bin()
    store.bodies.delete(store.bins.get(bin_id).object_key)
    remaining = pro.requests_remaining
    aws_calls.clear()
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))
    assert (status, body) == (503, {"message": "The bin's record could not be read from storage"})
    assert aws_calls.count("s3:GetObject") == 1  # no 40 retries
    assert pro.requests_remaining == remaining


def test_logs_name_a_bin_only_by_a_well_formed_id(invoke, pro, debug_logs):
    marker = "SECRET-MARKER-abc"
    assert invoke(api_event("GET", f"/v3/b/{marker}/latest", headers=master(pro)))[0] == 400
    # Our own lines (Powertools' router, at DEBUG, prints the path it matched: a debugging aid).
    refused = [line for line in debug_logs().splitlines() if "Request refused" in line]
    assert refused and not any(marker in line for line in refused)


def test_a_read_that_fails_on_storage_is_given_back(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin()

    def failing(**_):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "GetObject")

    monkeypatch.setattr(store.s3, "get_object", failing)
    remaining = pro.requests_remaining
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 503
    assert pro.requests_remaining == remaining


# Replacing a collection's schema doc is one step

def test_replacing_a_collections_schema_doc_is_one_charged_transaction(invoke, store, pro, aws_calls):
    old = pro.create_schema_doc({"type": "object", "required": ["old"]})
    new = pro.create_schema_doc({"type": "object", "required": ["new"]})
    collection_id = pro.create_collection(old)
    pro.set_requests(1)  # enough for one step: never for a detach and then an attach
    aws_calls.clear()

    status, _, body = invoke(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add",
                                       headers={**master(pro), "x-schema-doc-id": new}))

    assert status == 200 and body["schemaDocId"] == new
    assert aws_calls.count("dynamodb:TransactWriteItems") == 1
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


# Logs hold ids and reasons, not what callers sent

def test_errors_log_no_schema_text_no_ref_and_no_expression(invoke, store, pro, fetches, debug_logs, monkeypatch):
    import bin_routes

    marker = "attacker-supplied-7f3a"
    ref = f"http://{marker}.example/schema.json"
    invoke(api_event("POST", "/v3/s", {"description": marker, "$ref": ref}, {**master(pro), "x-schema-doc-name": "S"}))
    bin_id = pro.create_bin()
    read(invoke, bin_id, f"$..{marker}[?(@.x =~ '{marker}')]", master(pro))

    def crash(*_args, **_kwargs):
        raise ValueError(f"an internal error quoting the caller: {marker}")

    monkeypatch.setattr(bin_routes, "compile_path", crash)
    status, _, body = read(invoke, bin_id, "$.a", master(pro))
    assert (status, body) == (500, {"message": "Internal server error"})

    logs = debug_logs()
    assert "Unexpected error" in logs and "ValueError" in logs and "Request refused" in logs
    assert marker not in logs
