"""What an update costs in AWS calls, counted by botocore's own event system.

The update path makes its calls one after another, so the calls are also its sequential round trips.
Refusals that cost no AWS call at all are marked as such in test_update_refusals.py and test_round_trip.py.
"""

import threading

import pytest
from tests.support.events import update_event
from tests.support.store import body_keys, master


@pytest.mark.parametrize("versioning", ["false", "true"])
def test_warm_update_with_a_key_takes_three_round_trips(invoke, pro, aws_calls, versioning):
    bin_id = pro.create_bin()
    aws_calls.clear()
    status, _, _ = invoke(update_event(bin_id, b'{"a": 1}', {**master(pro), "x-bin-versioning": versioning}))
    assert status == 200
    assert aws_calls == ["dynamodb:BatchGetItem", "s3:PutObject", "dynamodb:TransactWriteItems"]


@pytest.fixture
def rendezvous(store):
    """Make two calls prove they are in flight at once: each waits until the other has started.

    If the code made them one after the other, the first would wait in vain and the pair is
    recorded as sequential.
    """
    started = {}
    sequential = []

    def arm(first: str, second: str):
        started[first], started[second] = threading.Event(), threading.Event()

        def on_call(model, **_):
            name = model.name
            if name in (first, second):
                started[name].set()
                other = second if name == first else first
                if not started[other].wait(timeout=5):
                    sequential.append(name)

        for client in (store.dynamodb, store.s3):
            client.meta.events.register("before-call", on_call)
        return sequential

    return arm


def test_keyless_public_update_reads_the_owners_account_while_uploading(invoke, pro, aws_calls, rendezvous):
    bin_id = pro.create_bin(private=False)
    sequential = rendezvous("GetItem", "PutObject")
    aws_calls.clear()

    assert invoke(update_event(bin_id, b'{"a": 1}'))[0] == 200

    assert sequential == []
    assert aws_calls[0] == "dynamodb:BatchGetItem" and aws_calls[-1] == "dynamodb:TransactWriteItems"
    assert sorted(aws_calls[1:3]) == ["dynamodb:GetItem", "s3:PutObject"]
    assert len(aws_calls) == 4  # in three sequential round trips


def test_update_of_a_bin_with_a_schema_reads_it_while_uploading(invoke, store, pro, aws_calls, rendezvous):
    collection_id = pro.create_collection(pro.create_schema_doc({"type": "object"}))
    bin_id = pro.create_bin(collection_id=collection_id)
    sequential = rendezvous("GetItem", "PutObject")
    aws_calls.clear()

    assert invoke(update_event(bin_id, b'{"a": 1}', master(pro)))[0] == 200

    assert sequential == []
    assert len(aws_calls) == 4 and aws_calls[-1] == "dynamodb:TransactWriteItems"


def test_keyless_update_refused_after_its_speculative_upload_leaves_nothing(invoke, store, free):
    bin_id = free.create_bin(private=False)
    body = b'{"data": "' + b"x" * (500 * 1024) + b'"}'  # over the free plan's limit

    status, _, response = invoke(update_event(bin_id, body))

    assert status == 403 and response["message"].startswith("Free users cannot update a record over 500kb")
    assert len(body_keys(store, bin_id)) == 1  # only the bin's own body


def test_owner_refused_by_the_plan_makes_no_call_after_the_first_read(invoke, store, free, aws_calls):
    collection_id = free.create_collection(free.create_schema_doc({"type": "object"}))
    bin_id = free.create_bin(collection_id=collection_id)
    aws_calls.clear()

    status, _, _ = invoke(update_event(bin_id, b'{"a": 1}', {**master(free), "x-bin-versioning": "true"}))

    assert status == 403
    assert aws_calls == ["dynamodb:BatchGetItem"]
