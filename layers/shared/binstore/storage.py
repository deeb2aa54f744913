"""Storage: every boto3 call the project makes goes through Store.

DynamoDB holds accounts, keys, bin metadata, versions, collections and schema docs; S3 holds record
bodies. A record body is written once under a fresh object key and never overwritten, and a bin's
metadata points at the body that is its latest record: a reader sees the old body or the new one,
never a half-written one. The pointer, the kept version and the spent request move together in one
DynamoDB transaction, conditioned on the bin's revision (so a concurrent writer cannot be lost) and
on the account having requests left (so an allowance of N yields exactly N updates).

Clients are made once per Store, and the function makes one Store per container. boto3 honours
AWS_ENDPOINT_URL, so the same code runs against AWS and against moto.
"""

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid4

import boto3
from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from binstore.settings import Settings

logger = Logger(child=True)
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize

_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    tcp_keepalive=True,
)


def _to_item(values: dict) -> dict:
    return {name: _serialize(value) for name, value in values.items() if value is not None}


def _from_item(item: dict) -> dict:
    return {name: _deserialize(value) for name, value in item.items()}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Account:
    account_id: str
    plan: str
    requests_remaining: int


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    account_id: str
    secret_hash: str


@dataclass(frozen=True)
class BinMeta:
    bin_id: str
    owner_id: str
    private: bool
    revision: int  # bumped by every committed update; the optimistic-concurrency token
    object_key: str  # S3 key of the latest record's body
    version_count: int  # versions kept, numbered 1..version_count, oldest first
    collection_id: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Collection:
    collection_id: str
    owner_id: str
    schema_doc_id: str | None
    # A copy of the schema doc's text, so that validating an update costs one read, not two.
    # Whatever changes a schema doc must refresh the copy in every collection that has it.
    schema_json: str | None = None


@dataclass(frozen=True)
class SchemaDoc:
    schema_doc_id: str
    owner_id: str
    schema_json: str


@dataclass(frozen=True)
class UpdateContext:
    """What one batched read returns for an update."""

    bin: BinMeta | None
    key: StoredKey | None
    account: Account | None


class CommitConflict(Exception):
    """Another update committed first: the bin's revision moved on."""


class AllowanceSpent(Exception):
    """The account had no requests left when the update tried to commit."""


def _account(values: dict) -> Account:
    return Account(values["accountId"], values["plan"], int(values["requestsRemaining"]))


def _stored_key(values: dict) -> StoredKey:
    return StoredKey(values["keyId"], values["accountId"], values["secretHash"])


def _bin(values: dict) -> BinMeta:
    return BinMeta(
        bin_id=values["binId"],
        owner_id=values["ownerId"],
        private=bool(values["private"]),
        revision=int(values["revision"]),
        object_key=values["objectKey"],
        version_count=int(values.get("versionCount", 0)),
        collection_id=values.get("collectionId"),
        created_at=values["createdAt"],
        updated_at=values["updatedAt"],
    )


class Store:
    def __init__(self, settings: Settings, dynamodb=None, s3=None):
        self.settings = settings
        self.dynamodb = dynamodb or boto3.client("dynamodb", config=_CLIENT_CONFIG)
        self.s3 = s3 or boto3.client("s3", config=_CLIENT_CONFIG)

    @classmethod
    def from_environment(cls) -> "Store":
        return cls(Settings.from_environment())

    @classmethod
    def for_stack(cls, stack_name: str) -> "Store":
        """A Store on the resources of a deployed binstore stack, found through its Outputs."""
        cloudformation = boto3.client("cloudformation", config=_CLIENT_CONFIG)
        (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        return cls(Settings.from_stack_outputs(outputs))

    # Reads

    def _get(self, table: str, key: dict) -> dict | None:
        response = self.dynamodb.get_item(TableName=table, Key=_to_item(key), ConsistentRead=True)
        item = response.get("Item")
        return _from_item(item) if item else None

    def read_update_context(self, bin_id: str, key_id: str | None, account_id: str | None) -> UpdateContext:
        """The bin, and the key and account named by the caller's key, in one round trip."""
        s = self.settings
        wanted = {s.bins_table: {"binId": bin_id}}
        if key_id is not None:
            wanted[s.keys_table] = {"keyId": key_id}
        if account_id is not None:
            wanted[s.accounts_table] = {"accountId": account_id}
        request = {
            table: {"Keys": [_to_item(key)], "ConsistentRead": True} for table, key in wanted.items()
        }
        found: dict[str, dict] = {}
        while request:
            response = self.dynamodb.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                for item in items:
                    found[table] = _from_item(item)
            # DynamoDB may leave keys unprocessed under load; ask again for just those, after a pause.
            request = response.get("UnprocessedKeys") or {}
            if request:
                time.sleep(0.02)
        return UpdateContext(
            bin=_bin(found[s.bins_table]) if s.bins_table in found else None,
            key=_stored_key(found[s.keys_table]) if s.keys_table in found else None,
            account=_account(found[s.accounts_table]) if s.accounts_table in found else None,
        )

    def get_account(self, account_id: str) -> Account | None:
        values = self._get(self.settings.accounts_table, {"accountId": account_id})
        return _account(values) if values else None

    def get_key(self, key_id: str) -> StoredKey | None:
        values = self._get(self.settings.keys_table, {"keyId": key_id})
        return _stored_key(values) if values else None

    def get_bin(self, bin_id: str) -> BinMeta | None:
        values = self._get(self.settings.bins_table, {"binId": bin_id})
        return _bin(values) if values else None

    def get_collection(self, collection_id: str) -> Collection | None:
        values = self._get(self.settings.collections_table, {"collectionId": collection_id})
        if not values:
            return None
        return Collection(values["collectionId"], values["ownerId"], values.get("schemaDocId"),
                          values.get("schema"))

    def get_schema_doc(self, schema_doc_id: str) -> SchemaDoc | None:
        values = self._get(self.settings.schema_docs_table, {"schemaDocId": schema_doc_id})
        if not values:
            return None
        return SchemaDoc(values["schemaDocId"], values["ownerId"], values["schema"])

    def get_version_object_key(self, bin_id: str, version: int) -> str | None:
        values = self._get(self.settings.bin_versions_table, {"binId": bin_id, "version": version})
        return values["objectKey"] if values else None

    # Record bodies

    @staticmethod
    def new_object_key(bin_id: str) -> str:
        return f"records/{bin_id}/{uuid4().hex}.json"

    def put_body(self, object_key: str, body: bytes) -> None:
        self.s3.put_object(
            Bucket=self.settings.records_bucket,
            Key=object_key,
            Body=body,
            ContentType="application/json",
        )

    def read_body(self, object_key: str) -> bytes:
        response = self.s3.get_object(Bucket=self.settings.records_bucket, Key=object_key)
        return response["Body"].read()

    def delete_body(self, object_key: str) -> None:
        self.s3.delete_object(Bucket=self.settings.records_bucket, Key=object_key)

    def discard_body(self, object_key: str) -> None:
        """Delete a body no record points at. Best effort: a failure leaves an orphan, never an error."""
        try:
            self.delete_body(object_key)
        except (BotoCoreError, ClientError):
            logger.warning("Could not delete an unreferenced record body", extra={"object_key": object_key})

    # Writes

    def commit_update(
        self,
        current: BinMeta,
        new_object_key: str,
        keep_version: bool,
        now: str,
    ) -> BinMeta:
        """Point the bin at its new body, keep the old one as a version if asked, spend one request.

        All or nothing, in one transaction. Raises CommitConflict if the bin changed since `current`
        was read, AllowanceSpent if the owner's account has no requests left.
        """
        s = self.settings
        set_clause = "SET objectKey = :new_object, revision = :next_revision, updatedAt = :now"
        values = {":new_object": new_object_key, ":next_revision": current.revision + 1,
                  ":expected_revision": current.revision, ":now": now}
        version_count = current.version_count
        items = []
        if keep_version:
            version_count += 1
            set_clause += ", versionCount = :version_count"
            values[":version_count"] = version_count
            items.append({
                "Put": {
                    "TableName": s.bin_versions_table,
                    "Item": _to_item({
                        "binId": current.bin_id,
                        "version": version_count,
                        "objectKey": current.object_key,
                        "createdAt": current.updated_at,
                    }),
                    "ConditionExpression": "attribute_not_exists(binId)",
                }
            })
        items.insert(0, {
            "Update": {
                "TableName": s.bins_table,
                "Key": _to_item({"binId": current.bin_id}),
                "UpdateExpression": set_clause,
                "ConditionExpression": "revision = :expected_revision",
                "ExpressionAttributeValues": _to_item(values),
            }
        })
        items.append({
            "Update": {
                "TableName": s.accounts_table,
                "Key": _to_item({"accountId": current.owner_id}),
                "UpdateExpression": "SET requestsRemaining = requestsRemaining - :one",
                "ConditionExpression": "requestsRemaining >= :one",
                "ExpressionAttributeValues": _to_item({":one": 1}),
            }
        })
        try:
            # The token makes botocore's own retries of this call idempotent: if a first attempt
            # was applied but its answer lost, DynamoDB answers the retry as a success instead of
            # failing its conditions against the state the first attempt created.
            self.dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=uuid4().hex)
        except self.dynamodb.exceptions.TransactionCanceledException as error:
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if reasons and reasons[-1] == "ConditionalCheckFailed" and reasons[0] != "ConditionalCheckFailed":
                raise AllowanceSpent() from None
            raise CommitConflict() from None
        return replace(current, revision=current.revision + 1, object_key=new_object_key,
                       version_count=version_count, updated_at=now)

    def _put_new(self, table: str, key_name: str, values: dict) -> None:
        """Create an item; never overwrite one (ids are random, so a clash is a bug, not a race)."""
        self.dynamodb.put_item(
            TableName=table,
            Item=_to_item(values),
            ConditionExpression="attribute_not_exists(#key)",
            ExpressionAttributeNames={"#key": key_name},
        )

    def put_account(self, account: Account, now: str) -> None:
        self._put_new(self.settings.accounts_table, "accountId", {
            "accountId": account.account_id,
            "plan": account.plan,
            "requestsRemaining": account.requests_remaining,
            "createdAt": now,
        })

    def put_key(self, key: StoredKey, kind: str, now: str) -> None:
        self._put_new(self.settings.keys_table, "keyId", {
            "keyId": key.key_id,
            "accountId": key.account_id,
            "secretHash": key.secret_hash,
            "kind": kind,
            "createdAt": now,
        })

    def put_bin(self, meta: BinMeta) -> None:
        self._put_new(self.settings.bins_table, "binId", {
            "binId": meta.bin_id,
            "ownerId": meta.owner_id,
            "private": meta.private,
            "revision": meta.revision,
            "objectKey": meta.object_key,
            "versionCount": meta.version_count,
            "collectionId": meta.collection_id,
            "createdAt": meta.created_at,
            "updatedAt": meta.updated_at,
        })

    def put_collection(self, collection: Collection, now: str) -> None:
        self._put_new(self.settings.collections_table, "collectionId", {
            "collectionId": collection.collection_id,
            "ownerId": collection.owner_id,
            "schemaDocId": collection.schema_doc_id,
            "schema": collection.schema_json,
            "createdAt": now,
        })

    def put_schema_doc(self, doc: SchemaDoc, now: str) -> None:
        self._put_new(self.settings.schema_docs_table, "schemaDocId", {
            "schemaDocId": doc.schema_doc_id,
            "ownerId": doc.owner_id,
            "schema": doc.schema_json,
            "createdAt": now,
        })
