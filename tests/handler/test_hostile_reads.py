"""Hostile reads and numbers: versions no bin can have, numbers JSON cannot hold, and what a read is
charged when storage races or fails: a refusal, or a read that failed, is never charged."""

import pytest
from binstore import jsonpaths
from botocore.exceptions import ClientError
from tests.support.events import api_event, json_path_event, update_event
from tests.support.store import master, stored_record


@pytest.mark.parametrize("version, status, message", [
    ("9" * 5000, 404, "Bin version not found"),
    ("1001", 404, "Bin version not found"),
    ("-0", 400, "Bin version is invalid"),
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

    monkeypatch.setattr("binstore.reads.select_json", select_json_watching_the_allowance)
    status, _, body = invoke(json_path_event(bin_id, "$.a[*]"))
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


def test_a_read_that_fails_on_storage_is_given_back(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin()

    def failing(**_):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "GetObject")

    monkeypatch.setattr(store.s3, "get_object", failing)
    remaining = pro.requests_remaining
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 503
    assert pro.requests_remaining == remaining
