"""The AWS clients, made once on first use; and the one place an AWS failure becomes ours.

boto3 honours AWS_ENDPOINT_URL, so the same code runs against AWS and against moto.
"""

import functools
import threading
import time
from collections.abc import Callable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from binstore.model import StorageUnavailable
from binstore.storage.items import from_item, to_item

CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    tcp_keepalive=True,
)

# How long to wait before asking DynamoDB again for what a batch call left unprocessed under load.
UNPROCESSED_PAUSE_SECONDS = 0.02

# What boto3 raises when AWS fails or refuses: storage turns each into StorageUnavailable.
AWS_ERRORS = (BotoCoreError, ClientError)


def error_code(error: Exception) -> str | None:
    """AWS's code for a refusal (`NoSuchKey`, `ConditionalCheckFailedException`, ...); None for others."""
    return error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None


def unavailable(error: Exception, kind: type[StorageUnavailable] = StorageUnavailable) -> StorageUnavailable:
    return kind(type(error).__name__, error_code(error))


def aws_call[**P, T](method: Callable[P, T]) -> Callable[P, T]:
    """Mark a storage method the domain calls: an AWS failure leaves it as StorageUnavailable."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except AWS_ERRORS as error:
            raise unavailable(error) from error

    return call


# DynamoDB writes at most this many items per BatchWriteItem call; S3 deletes at most this many
# objects per DeleteObjects call.
WRITE_BATCH = 25
S3_DELETE_BATCH = 1000


def object_keys(s3, bucket: str, prefix: str) -> list[str]:
    """The key of every object of `bucket` under `prefix`, page after page."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def delete_objects(s3, bucket: str, keys: list[str]) -> None:
    """Delete the objects `keys` of `bucket`, S3_DELETE_BATCH a call. One gone already stays gone."""
    for start in range(0, len(keys), S3_DELETE_BATCH):
        chunk = keys[start : start + S3_DELETE_BATCH]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True})


def batch_get_items(dynamodb, request: dict) -> Iterator[tuple[str, dict]]:
    """Every item a BatchGetItem `request` (its RequestItems) finds, as (table, plain values).
    DynamoDB may leave keys unprocessed under load: they are asked for again, after a pause."""
    while request:
        response = dynamodb.batch_get_item(RequestItems=request)
        for table, items in response.get("Responses", {}).items():
            for item in items:
                yield table, from_item(item)
        request = response.get("UnprocessedKeys") or {}
        if request:
            time.sleep(UNPROCESSED_PAUSE_SECONDS)


class Clients:
    """One DynamoDB client and one S3 client, each made on first use and kept.

    A container's requests share them (and their connection pools). Making them loads botocore's
    service models, a third of a cold start; a request refused from the request alone never needs
    them, and one that touches only DynamoDB never makes the S3 client.
    """

    def __init__(self, dynamodb=None, s3=None):
        self._made = {"dynamodb": dynamodb, "s3": s3}
        self._making = threading.Lock()  # boto3's default session is not thread-safe

    def _client(self, service: str):
        client = self._made[service]
        if client is None:
            with self._making:
                client = self._made[service]
                if client is None:
                    client = self._made[service] = boto3.client(service, config=CLIENT_CONFIG)
        return client

    @property
    def dynamodb(self):
        return self._client("dynamodb")

    @property
    def s3(self):
        return self._client("s3")

    def items(self, operation: str, **params) -> Iterator[dict]:
        """Every item a `query` or `scan` finds, page after page, as plain values."""
        call = getattr(self.dynamodb, operation)
        while True:
            page = call(**params)
            yield from (from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_items(self, table: str, keys: list[dict], send: Callable[..., dict] | None = None) -> None:
        """Delete the items of `table` with `keys` (plain values), WRITE_BATCH a BatchWriteItem; those
        DynamoDB leaves unprocessed under load are asked for again, after a pause. `send` makes each
        call (batch_write_item itself unless given). An item gone already stays gone."""
        send = send or self.dynamodb.batch_write_item
        for start in range(0, len(keys), WRITE_BATCH):
            request = {table: [{"DeleteRequest": {"Key": to_item(key)}} for key in keys[start : start + WRITE_BATCH]]}
            while request:
                request = send(RequestItems=request).get("UnprocessedItems") or {}
                if request:
                    time.sleep(UNPROCESSED_PAUSE_SECONDS)

    def ids_owned_by(self, table: str, id_name: str, owner_name: str, owner_id: str) -> list[str]:
        """The `id_name` of every item of `table` whose `owner_name` is `owner_id`, from a consistent
        Scan: complete where an index may lag an item made a moment ago (an account's deletion)."""
        found = self.items(
            "scan",
            TableName=table,
            ConsistentRead=True,
            FilterExpression="#owner = :owner",
            ProjectionExpression="#id",
            ExpressionAttributeNames={"#owner": owner_name, "#id": id_name},
            ExpressionAttributeValues=to_item({":owner": owner_id}),
        )
        return [values[id_name] for values in found]

    def get_item(self, table: str, key: dict) -> dict | None:
        """An item's values, read consistently; None if there is none."""
        item = self.dynamodb.get_item(TableName=table, Key=to_item(key), ConsistentRead=True).get("Item")
        return from_item(item) if item else None
