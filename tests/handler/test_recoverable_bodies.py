"""The records bucket is versioned (template.yaml; local.aws makes it so in moto): a body the code
deletes is gone for every user, yet stays a noncurrent version, and docs/operations.md's restore
recipe (its aws-cli commands, made here through boto3) brings it back. The lifecycle rules that
expire those versions are argued in docs/operations.md: moto never runs them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from binstore import sweeping
from binstore.storage.bodies import ORPHAN_TAG, bin_of, bin_prefix
from botocore.exceptions import ClientError
from tests.support.events import api_event, sample_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import body_keys, master

UNREADABLE = {"message": "The bin's record could not be read from storage"}


@pytest.fixture
def cleanup(store, monkeypatch):
    import cleanup_handler

    monkeypatch.setattr(cleanup_handler, "store", store)
    return cleanup_handler


def bin_item(store, bin_id: str) -> dict:
    return store.dynamodb.get_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
                                   ConsistentRead=True)["Item"]


def run_cleanup(cleanup, bin_id: str, old_item: dict, new_item: dict) -> None:
    """BodyCleanupFunction, given the stream's record of one change of the bin (old and new item)."""
    event = sample_event("cleanup-bin-modified.json")
    event["Records"][0]["dynamodb"].update(Keys={"binId": {"S": bin_id}}, OldImage=old_item, NewImage=new_item)
    assert cleanup.lambda_handler(event, lambda_context("BodyCleanupFunction")) == {"batchItemFailures": []}


def assert_gone_for_users(store, key: str) -> None:
    """What a user (and every function) sees of a deleted body: a GET is 404, a listing lacks it."""
    with pytest.raises(ClientError) as raised:
        store.s3.get_object(Bucket=store.settings.records_bucket, Key=key)
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    assert key not in body_keys(store, bin_of(key))


def versions_of(store, key: str) -> tuple[list[dict], list[dict]]:
    """`aws s3api list-object-versions --prefix KEY`: the key's versions and its delete markers."""
    listed = store.s3.list_object_versions(Bucket=store.settings.records_bucket, Prefix=key)
    return ([v for v in listed.get("Versions", []) if v["Key"] == key],
            [m for m in listed.get("DeleteMarkers", []) if m["Key"] == key])


def noncurrent_body(store, key: str) -> bytes:
    """The one noncurrent version of a deleted body, under its delete marker, read by its version id."""
    (version,), (marker,) = versions_of(store, key)
    assert (version["IsLatest"], marker["IsLatest"]) == (False, True)
    return store.s3.get_object(Bucket=store.settings.records_bucket, Key=key,
                               VersionId=version["VersionId"])["Body"].read()


def read(invoke, account, bin_id: str):
    status, _, body = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(account)))
    return status, body


def test_a_body_the_cleanup_deletes_is_gone_for_users_and_kept_as_a_noncurrent_version(invoke, store, pro, cleanup):
    bin_id = pro.create_bin({"v": 1})
    before = bin_item(store, bin_id)
    assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[0] == 200

    run_cleanup(cleanup, bin_id, before, bin_item(store, bin_id))

    replaced = before["objectKey"]["S"]
    assert_gone_for_users(store, replaced)
    assert json.loads(noncurrent_body(store, replaced)) == {"v": 1}
    assert read(invoke, pro, bin_id)[1]["record"] == {"v": 2}


def test_a_deleted_bins_bodies_stay_noncurrent_versions_under_its_prefix(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1})
    assert invoke(update_event(bin_id, b'{"v": 2}', {**master(pro), "x-bin-versioning": "true"}))[0] == 200
    keys = body_keys(store, bin_id)
    assert len(keys) == 2

    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 200

    for key in keys:
        assert_gone_for_users(store, key)
    assert sorted(json.loads(noncurrent_body(store, key))["v"] for key in keys) == [1, 2]
    # What an operator lists to find them: the bin's prefix, its item being gone.
    listed = store.s3.list_object_versions(Bucket=store.settings.records_bucket, Prefix=bin_prefix(bin_id))
    assert sorted(v["Key"] for v in listed["Versions"]) == keys


def test_the_sweep_sees_neither_noncurrent_versions_nor_delete_markers(invoke, store, pro, cleanup):
    bin_id = pro.create_bin({"v": 1})
    before = bin_item(store, bin_id)
    assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[0] == 200
    run_cleanup(cleanup, bin_id, before, bin_item(store, bin_id))

    report = sweeping.sweep(store, datetime.now(UTC) + timedelta(seconds=1), grace=timedelta(0))

    assert (report.bins_checked, report.orphans_marked, report.bins_skipped) == (1, 0, 0)
    assert [body.object_key for body in store.bodies.all()] == [bin_item(store, bin_id)["objectKey"]["S"]]


def lose_the_latest_body(invoke, store, pro, cleanup) -> tuple[str, str]:
    """A faulty cleanup deletes the body a bin points at: a bin and its lost body's key."""
    bin_id = pro.create_bin({"v": "precious"})
    item = bin_item(store, bin_id)
    elsewhere = {**item, "objectKey": {"S": f"{bin_prefix(bin_id)}never-written.json"}}
    run_cleanup(cleanup, bin_id, item, elsewhere)  # a stream record the bin never had
    assert read(invoke, pro, bin_id) == (503, UNREADABLE)
    return bin_id, item["objectKey"]["S"]


def key_from_the_bins_table(store, bin_id: str) -> str:
    """`aws dynamodb get-item --table-name BINS --key '{"binId": {"S": ID}}' --query Item.objectKey.S`"""
    return bin_item(store, bin_id)["objectKey"]["S"]


def test_restore_by_deleting_the_delete_marker(invoke, store, pro, cleanup):
    bin_id, lost = lose_the_latest_body(invoke, store, pro, cleanup)
    key = key_from_the_bins_table(store, bin_id)
    assert key == lost

    _, (marker,) = versions_of(store, key)
    store.s3.delete_object(Bucket=store.settings.records_bucket, Key=key, VersionId=marker["VersionId"])

    assert read(invoke, pro, bin_id)[1]["record"] == {"v": "precious"}
    assert versions_of(store, key)[1] == []


def test_restore_by_copying_the_noncurrent_version_back(invoke, store, pro, cleanup):
    bin_id, _ = lose_the_latest_body(invoke, store, pro, cleanup)
    key = key_from_the_bins_table(store, bin_id)

    (version,), _ = versions_of(store, key)
    bucket = store.settings.records_bucket
    store.s3.copy_object(Bucket=bucket, Key=key, CopySource=f"{bucket}/{key}?versionId={version['VersionId']}")

    assert read(invoke, pro, bin_id)[1]["record"] == {"v": "precious"}
    versions, _ = versions_of(store, key)
    assert [v["IsLatest"] for v in versions].count(True) == 1 and len(versions) == 2  # a copy: a new version


def test_an_expired_orphan_keeps_its_tag_so_a_restore_must_remove_it(store, pro):
    """The orphan rule's expiration adds a delete marker (done here by hand: moto runs no lifecycle
    rule). Restored, the body would still carry the tag, and be expired again: the recipe removes it."""
    bin_id = pro.create_bin({"v": 1})
    store.dynamodb.delete_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}})
    report = sweeping.sweep(store, datetime.now(UTC) + timedelta(seconds=1), grace=timedelta(0))
    assert report.orphans_marked == 1
    (key,) = body_keys(store, bin_id)
    bucket = store.settings.records_bucket
    store.s3.delete_object(Bucket=bucket, Key=key)  # what ExpireOrphanBodies does, a day later

    assert_gone_for_users(store, key)
    (version,), (marker,) = versions_of(store, key)
    tagged = {"Key": ORPHAN_TAG, "Value": "true"}
    assert tagged in store.s3.get_object_tagging(Bucket=bucket, Key=key, VersionId=version["VersionId"])["TagSet"]

    store.s3.delete_object(Bucket=bucket, Key=key, VersionId=marker["VersionId"])
    store.s3.delete_object_tagging(Bucket=bucket, Key=key)

    assert store.s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []
    assert json.loads(store.s3.get_object(Bucket=bucket, Key=key)["Body"].read()) == {"v": 1}
