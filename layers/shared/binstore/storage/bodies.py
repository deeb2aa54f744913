"""Record bodies in S3, and the one place that knows where they live: `records/<bin id>/<uuid>.json`.

A body is written once under a fresh object key and never overwritten; a bin's metadata points at
the body that is its latest record, so a reader sees the old body or the new one, never a half-written
one.
"""

from collections.abc import Iterator
from uuid import uuid4

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from binstore.model import StoredBody
from binstore.storage.clients import (
    AWS_ERRORS,
    Clients,
    aws_call,
    delete_objects,
    error_code,
    object_keys,
    unavailable,
)

logger = Logger(child=True)

# The tag that marks a body as belonging to no record; template.yaml's lifecycle rule expires it.
ORPHAN_TAG = "binstore-orphan"
PREFIX = "records/"


def new_object_key(bin_id: str) -> str:
    """A fresh key for one of the bin's bodies: never one that exists."""
    return f"{PREFIX}{bin_id}/{uuid4().hex}.json"


def bin_prefix(bin_id: str) -> str:
    return f"{PREFIX}{bin_id}/"


def bin_of(object_key: str) -> str:
    """The bin a body belongs to, from its key."""
    return object_key.removeprefix(PREFIX).split("/", 1)[0]


class RecordBodies:
    def __init__(self, bucket: str, clients: Clients):
        self.bucket = bucket
        self._clients = clients

    @property
    def _s3(self):
        return self._clients.s3

    @staticmethod
    def new_key(bin_id: str) -> str:
        """A fresh object key for one of the bin's bodies (see new_object_key)."""
        return new_object_key(bin_id)

    @aws_call
    def put(self, object_key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=object_key, Body=body, ContentType="application/json")

    @aws_call
    def read(self, object_key: str) -> bytes | None:
        """The body's bytes; None if there is none (replaced and cleaned up since it was pointed at)."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            if error_code(error) in ("NoSuchKey", "404"):
                return None
            raise
        return response["Body"].read()

    @aws_call
    def delete(self, object_key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=object_key)

    @aws_call
    def delete_many(self, keys: list[str]) -> None:
        delete_objects(self._s3, self.bucket, keys)

    def discard(self, object_key: str) -> None:
        """Delete a body no record points at. Best effort: a failure leaves an orphan, never an error."""
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=object_key)
        except AWS_ERRORS:
            logger.warning("Could not delete an unreferenced record body", extra={"object_key": object_key})

    @aws_call
    def of_bin(self, bin_id: str) -> list[str]:
        """The object keys of every body stored under a bin, referenced or not."""
        return object_keys(self._s3, self.bucket, bin_prefix(bin_id))

    def all(self) -> Iterator[StoredBody]:
        """Every record body in the bucket, with when it was written."""
        try:
            # Made inside the try: making the client can fail too (a missing profile, no region).
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PREFIX)
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredBody(item["Key"], bin_of(item["Key"]), item["LastModified"])
        except AWS_ERRORS as error:
            raise unavailable(error) from error

    @aws_call
    def mark_orphan(self, object_key: str) -> bool:
        """Tag a body no record points at; the bucket's lifecycle rule deletes it a day later. False
        if it was deleted since it was listed (a bin's delete, the stream's cleanup): nothing to tag.
        The records bucket is versioned, so such a body's current version is a delete marker, and S3
        answers MethodNotAllowed; an unversioned bucket would answer NoSuchKey."""
        try:
            self._s3.put_object_tagging(
                Bucket=self.bucket, Key=object_key, Tagging={"TagSet": [{"Key": ORPHAN_TAG, "Value": "true"}]}
            )
        except ClientError as error:
            if error_code(error) in ("MethodNotAllowed", "NoSuchKey", "404"):
                return False
            raise
        return True
