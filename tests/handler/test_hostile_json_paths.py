"""X-JSON-Path, as an attacker sends it: what JSONBin documents works, anything else is refused before
any AWS call, and the work, time and answer of an evaluation are bounded, a refusal costing nothing.
The bounds themselves, with small limits: tests/unit/test_jsonpaths.py."""

import json

import pytest
from binstore import jsonpaths
from tests.support.events import api_event, json_path_event
from tests.support.store import master


def read(invoke, bin_id: str, path: str, headers: dict | None = None):
    return invoke(json_path_event(bin_id, path, headers))


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
