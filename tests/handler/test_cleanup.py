"""BodyCleanupFunction: bodies replaced without a version are deleted, kept versions are not.
Which body a change leaves unreferenced: tests/unit/test_cleanup.py."""

import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from tests.support.events import sample_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import body_keys, master, stored_record


@pytest.fixture
def cleanup(store, monkeypatch):
    import cleanup_handler

    monkeypatch.setattr(cleanup_handler, "store", store)
    return cleanup_handler


def bin_item(store, bin_id) -> dict:
    return store.dynamodb.get_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
                                   ConsistentRead=True)["Item"]


def stream_event(bin_id: str, old_item: dict, new_item: dict) -> dict:
    """What the bins table's stream delivers to the function for one MODIFY."""
    sample = sample_event("cleanup-bin-modified.json")
    record = sample["Records"][0]
    record["dynamodb"].update(Keys={"binId": {"S": bin_id}}, OldImage=old_item, NewImage=new_item)
    return sample


def update_and_stream(invoke, store, account, bin_id, headers):
    before = bin_item(store, bin_id)
    status, _, _ = invoke(update_event(bin_id, b'{"v": 2}', {**master(account), **headers}))
    assert status == 200
    return before, stream_event(bin_id, before, bin_item(store, bin_id))


def test_body_replaced_without_a_version_is_deleted(invoke, store, pro, cleanup):
    bin_id = pro.create_bin({"v": 1})
    before, event = update_and_stream(invoke, store, pro, bin_id, {})

    assert cleanup.lambda_handler(event, lambda_context("BodyCleanupFunction")) == {"batchItemFailures": []}

    assert before["objectKey"]["S"] not in body_keys(store, bin_id)
    assert stored_record(store, bin_id) == {"v": 2}


def test_body_kept_as_a_version_is_not_deleted(invoke, store, pro, cleanup):
    bin_id = pro.create_bin({"v": 1})
    before, event = update_and_stream(invoke, store, pro, bin_id, {"x-bin-versioning": "true"})

    assert cleanup.lambda_handler(event, lambda_context("BodyCleanupFunction")) == {"batchItemFailures": []}

    assert before["objectKey"]["S"] in body_keys(store, bin_id)
    assert stored_record(store, bin_id, version=0) == {"v": 1}


def test_failed_delete_is_reported_so_the_stream_retries_it(invoke, store, pro, cleanup, monkeypatch):
    bin_id = pro.create_bin({"v": 1})
    _, event = update_and_stream(invoke, store, pro, bin_id, {})
    failing = event["Records"][0]
    unchanged = json.loads(json.dumps(failing))
    unchanged["dynamodb"].update(SequenceNumber="222", OldImage=failing["dynamodb"]["NewImage"])
    event["Records"].append(unchanged)

    def unavailable(_):
        raise RuntimeError("S3 unavailable")

    monkeypatch.setattr(store.bodies, "delete", unavailable)
    response = cleanup.lambda_handler(event, lambda_context("BodyCleanupFunction"))
    assert response == {"batchItemFailures": [{"itemIdentifier": failing["dynamodb"]["SequenceNumber"]}]}

    # When every record fails, the invocation fails and Lambda retries the whole batch.
    event["Records"].pop()
    with pytest.raises(BatchProcessingError):
        cleanup.lambda_handler(event, lambda_context("BodyCleanupFunction"))
