"""PUT /v3/b/<BIN_ID> through the Lambda handler, as it succeeds: the answer, the charge, public bins and
versioning. Refusals are in test_update_refusals.py, injected failures in test_faults.py, what any JSON
value becomes in test_round_trip.py."""

import json

import pytest
from tests.support.events import sample_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import Account, master, stored_record


def test_update_private_bin_returns_record_and_metadata(invoke, store, pro):
    bin_id = pro.create_bin()

    status, headers, body = invoke(update_event(bin_id, b'{"sample": "Hello again", "n": [1, 2.5, null]}', master(pro)))

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == {"record": {"sample": "Hello again", "n": [1, 2.5, None]},
                    "metadata": {"parentId": bin_id, "private": True}}
    assert stored_record(store, bin_id) == {"sample": "Hello again", "n": [1, 2.5, None]}


def test_response_body_is_compact_json_like_jsonbin(pro):
    import api_handler as app

    bin_id = pro.create_bin()
    response = app.lambda_handler(update_event(bin_id, b'{ "a" :  1 }', master(pro)), lambda_context())
    assert response["body"] == f'{{"record":{{"a":1}},"metadata":{{"parentId":"{bin_id}","private":true}}}}'


def test_update_spends_one_request_and_a_private_bin_keeps_no_version_by_default(invoke, store, pro):
    bin_id = pro.create_bin()
    before = pro.requests_remaining

    assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[0] == 200

    assert pro.requests_remaining == before - 1
    assert store.bins.get(bin_id).version_count == 0


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;charset=UTF-8",
])
def test_content_type_parameters_and_case_are_accepted(invoke, pro, content_type):
    bin_id = pro.create_bin()
    status, _, _ = invoke(update_event(bin_id, b'{"a": 1}', {"content-type": content_type, **master(pro)}))
    assert status == 200


def test_header_names_are_case_insensitive(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, b'{"a": 1}')
    event["headers"] = {"Content-Type": "application/json", "X-MASTER-KEY": pro.master_key}
    status, _, body = invoke(event)
    assert status == 200, body


def test_base64_encoded_json_body_is_accepted(invoke, store, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, '{"a": "é"}'.encode(), master(pro), base64_body=True)
    assert invoke(event)[0] == 200
    assert stored_record(store, bin_id) == {"a": "é"}


# Public bins

def test_public_bin_updates_without_a_key_and_charges_its_owner(invoke, store, pro):
    bin_id = pro.create_bin(private=False)
    before = pro.requests_remaining

    status, _, body = invoke(update_event(bin_id, b'{"public": true}'))

    # Kept as a version (public bins of pro accounts are versioned): JSONBin names its number.
    assert (status, body) == (200, {"record": {"public": True},
                                    "metadata": {"parentId": bin_id, "private": False, "version": 1}})
    assert pro.requests_remaining == before - 1


def test_public_bin_is_versioned_by_default(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1}, private=False)
    invoke(update_event(bin_id, b'{"v": 2}'))
    assert store.bins.get(bin_id).version_count == 1
    assert stored_record(store, bin_id, version=0) == {"v": 1}
    assert stored_record(store, bin_id) == {"v": 2}


def test_only_the_owner_turns_versioning_off_on_a_public_bin(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1}, private=False)

    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false"}))
    assert (status, body) == (401, {"message": "You need to pass X-Master-Key in the header to turn off "
                                               "versioning of a public bin"})

    other = Account(store, "pro")
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false", **master(other)}))
    assert (status, body) == (401, {"message": "Invalid X-Master-Key provided or the bin does not belong to your "
                                               "account"})
    assert store.bins.get(bin_id).version_count == 0
    assert stored_record(store, bin_id) == {"v": 1}

    status, _, _ = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false", **master(pro)}))
    assert status == 200
    assert store.bins.get(bin_id).version_count == 0
    assert stored_record(store, bin_id) == {"v": 2}


def test_free_owners_public_bin_is_not_versioned_by_default(invoke, store, free):
    bin_id = free.create_bin(private=False)
    assert invoke(update_event(bin_id, b'{"v": 2}'))[0] == 200
    assert store.bins.get(bin_id).version_count == 0


# Versioning

def test_versioned_update_keeps_the_previous_record(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1})
    for value in (2, 3):
        status, _, _ = invoke(update_event(bin_id, json.dumps({"v": value}).encode(),
                                           {**master(pro), "x-bin-versioning": "true"}))
        assert status == 200
    assert store.bins.get(bin_id).version_count == 2
    assert [stored_record(store, bin_id, n) for n in (0, 1, 2)] == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert stored_record(store, bin_id) == {"v": 3}


def test_the_update_answer_names_the_version_it_wrote_only_when_it_kept_one(invoke, store, pro):
    bin_id = pro.create_bin({"v": 0})
    versioned = {**master(pro), "x-bin-versioning": "true"}
    for n in (1, 2):
        body = invoke(update_event(bin_id, json.dumps({"v": n}).encode(), versioned))[2]
        assert body["metadata"] == {"parentId": bin_id, "private": True, "version": n}
    body = invoke(update_event(bin_id, b'{"v": "2, again"}', master(pro)))[2]
    assert body["metadata"] == {"parentId": bin_id, "private": True}  # replaced version 2 in place
    assert stored_record(store, bin_id, 2) == {"v": "2, again"} == stored_record(store, bin_id)
    assert stored_record(store, bin_id, 1) == {"v": 1} and store.bins.get(bin_id).version_count == 2


# Schema docs

def test_bins_in_a_collection_are_validated_by_its_schema_doc(invoke, store, pro):
    schema = {"type": "object", "required": ["name"],
              "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    collection_id = pro.create_collection(pro.create_schema_doc(schema))
    bin_id = pro.create_bin({"name": "Ada", "age": 36}, collection_id=collection_id)

    status, _, body = invoke(update_event(bin_id, b'{"name": "Ada", "age": "old"}', master(pro)))
    assert status == 400
    assert body["message"].startswith('Schema Doc Validation Mismatch: age:"old"')

    status, _, body = invoke(update_event(bin_id, b'{"age": 37}', master(pro)))
    assert status == 400
    assert body["message"].startswith("Schema Doc Validation Mismatch: name:undefined")

    assert invoke(update_event(bin_id, b'{"name": "Ada", "age": 37}', master(pro)))[0] == 200
    assert stored_record(store, bin_id) == {"name": "Ada", "age": 37}


# The sample events under events/, as `sam local invoke` would send them

def test_sample_events_give_the_documented_answers(invoke, store, pro):
    bin_id = pro.create_bin()
    assert invoke(sample_event("update-bin.json", bin_id, pro.master_key))[::2] == (
        200, {"record": {"sample": "Hello World"}, "metadata": {"parentId": bin_id, "private": True}})
    assert invoke(sample_event("update-bin-bad-key.json", bin_id))[::2] == (
        401, {"message": "Invalid X-Master-Key provided or the bin does not belong to your account"})
    assert invoke(sample_event("update-bin-blank.json", bin_id, pro.master_key))[::2] == (
        400, {"message": "Bin cannot be blank"})
