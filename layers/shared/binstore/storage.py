"""Storage: every boto3 call the project makes goes through Store.

DynamoDB holds accounts, keys, bin metadata, versions, collections and schema docs; S3 holds record
bodies. A record body is written once under a fresh object key and never overwritten, and a bin's
metadata points at the body that is its latest record: a reader sees the old body or the new one,
never a half-written one. The pointer, the kept version and the spent request move together in one
DynamoDB transaction, conditioned on the bin's revision (so a concurrent writer cannot be lost) and
on the account having requests left (so an allowance of N yields exactly N updates).

Clients are made once per Store, on first use, and the function makes one Store per container. boto3 honours
AWS_ENDPOINT_URL, so the same code runs against AWS and against moto.
"""

import threading
import time
from collections.abc import Iterator
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

# The tag that marks a body as belonging to no record; template.yaml's lifecycle rule expires it.
ORPHAN_TAG = "binstore-orphan"

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
    kind: str = "master"  # "master" (X-Master-Key) or "access" (X-Access-Key)
    permissions: frozenset[str] = frozenset()  # what an access key may do to bins


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
    name: str | None = None


@dataclass(frozen=True)
class Collection:
    collection_id: str
    owner_id: str
    name: str
    created_at: str
    schema_doc_id: str | None = None
    # A copy of the schema doc's text, so that validating a record costs one read, not two. The
    # schema doc lists the collections that hold a copy, and a change to it refreshes each one.
    schema_json: str | None = None
    schema_revision: int = 0


@dataclass(frozen=True)
class SchemaDoc:
    schema_doc_id: str
    owner_id: str
    name: str
    schema_json: str
    created_at: str
    revision: int = 1  # bumped by every change; a collection's copy records the one it copied
    collection_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KeptVersion:
    version: int
    object_key: str


@dataclass(frozen=True)
class StoredBody:
    object_key: str
    written_at: datetime


@dataclass(frozen=True)
class Context:
    """What one batched read returns: a bin, and the caller's key and account."""

    bin: BinMeta | None
    key: StoredKey | None
    account: Account | None


class CommitConflict(Exception):
    """Another update committed first: the bin's revision moved on."""


class AllowanceSpent(Exception):
    """The account had no requests left when the write tried to commit."""


class CommitOutcomeUnknown(Exception):
    """DynamoDB did not answer a write (after botocore's own retries): it may or may not be applied."""


def _account(values: dict) -> Account:
    return Account(values["accountId"], values["plan"], int(values["requestsRemaining"]))


def _stored_key(values: dict) -> StoredKey:
    return StoredKey(values["keyId"], values["accountId"], values["secretHash"],
                     values.get("kind", "master"), frozenset(values.get("permissions", ())))


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
        name=values.get("name"),
    )


def _collection(values: dict) -> Collection:
    return Collection(
        collection_id=values["collectionId"],
        owner_id=values["ownerId"],
        name=values.get("name", ""),
        created_at=values.get("createdAt", ""),
        schema_doc_id=values.get("schemaDocId"),
        schema_json=values.get("schema"),
        schema_revision=int(values.get("schemaRevision", 0)),
    )


def _schema_doc(values: dict) -> SchemaDoc:
    return SchemaDoc(
        schema_doc_id=values["schemaDocId"],
        owner_id=values["ownerId"],
        name=values.get("name", ""),
        schema_json=values["schema"],
        created_at=values.get("createdAt", ""),
        revision=int(values.get("revision", 1)),
        collection_ids=frozenset(values.get("collectionIds", ())),
    )


class Store:
    """Every AWS call, on one DynamoDB client and one S3 client.

    Each client is made on first use and kept: a container's requests share them (and their
    connection pools). Making them loads botocore's service models, a third of a cold start; a
    request refused from the request alone never needs them, and one that touches only DynamoDB
    never makes the S3 client.
    """

    def __init__(self, settings: Settings, dynamodb=None, s3=None):
        self.settings = settings
        self._clients = {"dynamodb": dynamodb, "s3": s3}
        self._making_clients = threading.Lock()  # boto3's default session is not thread-safe

    def _client(self, service: str):
        client = self._clients[service]
        if client is None:
            with self._making_clients:
                client = self._clients[service]
                if client is None:
                    client = self._clients[service] = boto3.client(service, config=_CLIENT_CONFIG)
        return client

    @property
    def dynamodb(self):
        return self._client("dynamodb")

    @property
    def s3(self):
        return self._client("s3")

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

    def read_context(self, bin_id: str | None, key_id: str | None, account_id: str | None) -> Context:
        """The bin, and the key and account named by the caller's key, in one round trip."""
        s = self.settings
        wanted = {}
        if bin_id is not None:
            wanted[s.bins_table] = {"binId": bin_id}
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
        return Context(
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
        return _collection(values) if values else None

    def get_schema_doc(self, schema_doc_id: str) -> SchemaDoc | None:
        values = self._get(self.settings.schema_docs_table, {"schemaDocId": schema_doc_id})
        return _schema_doc(values) if values else None

    def get_version_object_key(self, bin_id: str, version: int) -> str | None:
        values = self._get(self.settings.bin_versions_table, {"binId": bin_id, "version": version})
        return values["objectKey"] if values else None

    def list_versions(self, bin_id: str) -> list[KeptVersion]:
        """Every kept version of a bin, oldest first."""
        paginator = self.dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.settings.bin_versions_table,
            KeyConditionExpression="binId = :bin",
            ExpressionAttributeValues=_to_item({":bin": bin_id}),
            ProjectionExpression="version, objectKey",
            ConsistentRead=True,
        )
        return [KeptVersion(int(values["version"]), values["objectKey"])
                for page in pages for values in map(_from_item, page.get("Items", []))]

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

    def delete_bodies(self, object_keys: list[str]) -> None:
        """Delete many bodies, a thousand per call (S3's limit)."""
        for start in range(0, len(object_keys), 1000):
            chunk = object_keys[start:start + 1000]
            self.s3.delete_objects(Bucket=self.settings.records_bucket,
                                   Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True})

    def list_bodies(self, bin_id: str) -> list[str]:
        """The object keys of every body stored under a bin, referenced or not."""
        paginator = self.s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.settings.records_bucket, Prefix=f"records/{bin_id}/")
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def stored_bodies(self) -> Iterator[StoredBody]:
        """Every record body in the bucket, with when it was written."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.settings.records_bucket, Prefix="records/"):
            for item in page.get("Contents", []):
                yield StoredBody(item["Key"], item["LastModified"])

    def mark_orphan(self, object_key: str) -> None:
        """Tag a body no record points at; the bucket's lifecycle rule deletes it a day later."""
        self.s3.put_object_tagging(Bucket=self.settings.records_bucket, Key=object_key,
                                   Tagging={"TagSet": [{"Key": ORPHAN_TAG, "Value": "true"}]})

    def discard_body(self, object_key: str) -> None:
        """Delete a body no record points at. Best effort: a failure leaves an orphan, never an error."""
        try:
            self.delete_body(object_key)
        except (BotoCoreError, ClientError):
            logger.warning("Could not delete an unreferenced record body", extra={"object_key": object_key})

    # Writes

    def _charge(self, account_id: str) -> dict:
        """A transaction item spending one of the account's requests, if it has one left."""
        return {
            "Update": {
                "TableName": self.settings.accounts_table,
                "Key": _to_item({"accountId": account_id}),
                "UpdateExpression": "SET requestsRemaining = requestsRemaining - :one",
                "ConditionExpression": "requestsRemaining >= :one",
                "ExpressionAttributeValues": _to_item({":one": 1}),
            }
        }

    def _transact_charged(self, items: list[dict], account_id: str) -> None:
        """Write `items` and spend one of the account's requests: all of it, or none of it.

        Raises AllowanceSpent if the account has no request left, CommitConflict if any other
        condition failed (the item changed, or vanished, since it was read).
        """
        try:
            # The token makes botocore's own retries of this call idempotent: if a first attempt
            # was applied but its answer lost, DynamoDB answers the retry as a success instead of
            # failing its conditions against the state the first attempt created.
            self.dynamodb.transact_write_items(TransactItems=[*items, self._charge(account_id)],
                                               ClientRequestToken=uuid4().hex)
        except self.dynamodb.exceptions.TransactionCanceledException as error:
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            failed = [index for index, code in enumerate(codes) if code == "ConditionalCheckFailed"]
            if failed == [len(items)]:
                raise AllowanceSpent() from None
            if set(codes) <= {None, "None", "ConditionalCheckFailed", "TransactionConflict"}:
                raise CommitConflict() from None
            raise  # refused for another reason (a validation error): not applied, and not worth retrying
        except (BotoCoreError, ClientError) as error:
            raise CommitOutcomeUnknown() from error

    def spend_request(self, account_id: str) -> None:
        """Spend one of the account's requests, for a request that writes nothing else."""
        try:
            self.dynamodb.update_item(**self._charge(account_id)["Update"])
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            raise AllowanceSpent() from None

    def refund_request(self, account_id: str) -> None:
        """Give back a request spent by a read that then failed. Best effort: a failure is logged.

        An atomic ADD, so concurrent charges and refunds never lose one another; conditioned on the
        account existing, so a refund never makes an account item out of nothing. A transaction of
        one item for its token: if botocore retries a refund whose answer was lost, DynamoDB
        applies it once, not twice.
        """
        try:
            self.dynamodb.transact_write_items(TransactItems=[{"Update": {
                "TableName": self.settings.accounts_table,
                "Key": _to_item({"accountId": account_id}),
                "UpdateExpression": "ADD requestsRemaining :one",
                "ConditionExpression": "attribute_exists(accountId)",
                "ExpressionAttributeValues": _to_item({":one": 1}),
            }}], ClientRequestToken=uuid4().hex)
        except (BotoCoreError, ClientError) as error:
            logger.warning("Could not give back a request spent by a failed read",
                           extra={"account_id": account_id, "error_type": type(error).__name__})

    def _update_bin_item(self, current: BinMeta, set_clause: str, values: dict) -> dict:
        """An update of the bin item, conditioned on its revision, that bumps the revision."""
        return {
            "Update": {
                "TableName": self.settings.bins_table,
                "Key": _to_item({"binId": current.bin_id}),
                "UpdateExpression": f"SET revision = :next_revision, {set_clause}",
                "ConditionExpression": "revision = :expected_revision",
                "ExpressionAttributeValues": _to_item({
                    **values, ":next_revision": current.revision + 1, ":expected_revision": current.revision,
                }),
            }
        }

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
        set_clause = "objectKey = :new_object, updatedAt = :now"
        values = {":new_object": new_object_key, ":now": now}
        version_count = current.version_count
        items = []
        if keep_version:
            version_count += 1
            set_clause += ", versionCount = :version_count"
            values[":version_count"] = version_count
            items.append({
                "Put": {
                    "TableName": self.settings.bin_versions_table,
                    "Item": _to_item({
                        "binId": current.bin_id,
                        "version": version_count,
                        "objectKey": current.object_key,
                        "createdAt": current.updated_at,
                    }),
                    "ConditionExpression": "attribute_not_exists(binId)",
                }
            })
        items.insert(0, self._update_bin_item(current, set_clause, values))
        self._transact_charged(items, current.owner_id)
        return replace(current, revision=current.revision + 1, object_key=new_object_key,
                       version_count=version_count, updated_at=now)

    def change_bin_meta(self, current: BinMeta, private: bool | None = None, name: str | None = None) -> BinMeta:
        """Change a bin's privacy or name and spend one request.

        The revision moves too, so an update authorised against the old privacy cannot commit.
        """
        changes = {"private": private, "name": name}
        changes = {field: value for field, value in changes.items() if value is not None}
        set_clause = ", ".join(f"#{field} = :{field}" for field in changes)
        item = self._update_bin_item(current, set_clause, {f":{field}": value for field, value in changes.items()})
        item["Update"]["ExpressionAttributeNames"] = {f"#{field}": field for field in changes}
        self._transact_charged([item], current.owner_id)
        return replace(current, revision=current.revision + 1, **changes)

    def reset_versions(self, current: BinMeta, object_key: str) -> BinMeta:
        """Forget every kept version (their rows and bodies go next) and point the bin at `object_key`."""
        item = self._update_bin_item(current, "versionCount = :zero, objectKey = :object",
                                     {":zero": 0, ":object": object_key})
        self._transact_charged([item], current.owner_id)
        return replace(current, revision=current.revision + 1, version_count=0, object_key=object_key)

    def delete_version_items(self, bin_id: str, versions: list[KeptVersion]) -> None:
        table = self.settings.bin_versions_table
        for start in range(0, len(versions), 25):
            request = {table: [
                {"DeleteRequest": {"Key": _to_item({"binId": bin_id, "version": kept.version})}}
                for kept in versions[start:start + 25]
            ]}
            while request:
                request = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if request:
                    time.sleep(0.02)  # DynamoDB left some undone under load; ask again after a pause

    def delete_bin_item(self, current: BinMeta) -> None:
        """Delete the bin's metadata (its versions and bodies go next) and spend one request."""
        self._transact_charged([{
            "Delete": {
                "TableName": self.settings.bins_table,
                "Key": _to_item({"binId": current.bin_id}),
                "ConditionExpression": "revision = :expected_revision",
                "ExpressionAttributeValues": _to_item({":expected_revision": current.revision}),
            }
        }], current.owner_id)

    def _put_new_item(self, table: str, key_name: str, values: dict) -> dict:
        """A transaction item creating an item; never overwriting one (ids are random: a clash is a bug)."""
        return {
            "Put": {
                "TableName": table,
                "Item": _to_item(values),
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": {"#key": key_name},
            }
        }

    def _put_new(self, table: str, key_name: str, values: dict) -> None:
        self.dynamodb.put_item(**self._put_new_item(table, key_name, values)["Put"])

    def put_account(self, account: Account, now: str) -> None:
        self._put_new(self.settings.accounts_table, "accountId", {
            "accountId": account.account_id,
            "plan": account.plan,
            "requestsRemaining": account.requests_remaining,
            "createdAt": now,
        })

    def put_key(self, key: StoredKey, now: str) -> None:
        self._put_new(self.settings.keys_table, "keyId", {
            "keyId": key.key_id,
            "accountId": key.account_id,
            "secretHash": key.secret_hash,
            "kind": key.kind,
            "permissions": sorted(key.permissions) or None,
            "createdAt": now,
        })

    def delete_key(self, key: StoredKey) -> None:
        self.dynamodb.delete_item(TableName=self.settings.keys_table, Key=_to_item({"keyId": key.key_id}))

    def create_bin(self, meta: BinMeta) -> None:
        """Store a new bin's metadata and spend one of its owner's requests."""
        self._transact_charged([self._put_new_item(self.settings.bins_table, "binId", {
            "binId": meta.bin_id,
            "ownerId": meta.owner_id,
            "private": meta.private,
            "revision": meta.revision,
            "objectKey": meta.object_key,
            "versionCount": meta.version_count,
            "collectionId": meta.collection_id,
            "name": meta.name,
            "createdAt": meta.created_at,
            "updatedAt": meta.updated_at,
        })], meta.owner_id)

    def create_collection(self, collection: Collection) -> None:
        self._transact_charged([self._put_new_item(self.settings.collections_table, "collectionId", {
            "collectionId": collection.collection_id,
            "ownerId": collection.owner_id,
            "name": collection.name,
            "createdAt": collection.created_at,
        })], collection.owner_id)

    def create_schema_doc(self, doc: SchemaDoc) -> None:
        self._transact_charged([self._put_new_item(self.settings.schema_docs_table, "schemaDocId", {
            "schemaDocId": doc.schema_doc_id,
            "ownerId": doc.owner_id,
            "name": doc.name,
            "schema": doc.schema_json,
            "revision": doc.revision,
            "createdAt": doc.created_at,
        })], doc.owner_id)

    def attach_schema_doc(self, collection: Collection, doc: SchemaDoc) -> None:
        """Copy the schema doc into the collection, list the collection on the doc, and take it off
        the doc it replaces: one transaction, one request, the old schema or the new, never none.

        Conditioned on the collection still naming the doc it named when read (a concurrent attach
        or detach makes this CommitConflict) and on the doc's revision (a doc changed meanwhile
        fails too), so a collection never keeps a copy older than the doc it names.
        """
        replaced = collection.schema_doc_id
        condition = "schemaDocId = :replaced" if replaced else "attribute_not_exists(schemaDocId)"
        items = [
            {"Update": {
                "TableName": self.settings.collections_table,
                "Key": _to_item({"collectionId": collection.collection_id}),
                "UpdateExpression": "SET schemaDocId = :doc, #schema = :schema, schemaRevision = :revision",
                "ConditionExpression": f"attribute_exists(collectionId) AND {condition}",
                "ExpressionAttributeNames": {"#schema": "schema"},
                "ExpressionAttributeValues": _to_item({":doc": doc.schema_doc_id, ":schema": doc.schema_json,
                                                       ":revision": doc.revision, ":replaced": replaced}),
            }},
            {"Update": {
                "TableName": self.settings.schema_docs_table,
                "Key": _to_item({"schemaDocId": doc.schema_doc_id}),
                "UpdateExpression": "ADD collectionIds :collection",
                "ConditionExpression": "revision = :revision",
                "ExpressionAttributeValues": {":collection": {"SS": [collection.collection_id]},
                                              **_to_item({":revision": doc.revision})},
            }},
        ]
        if replaced and replaced != doc.schema_doc_id:
            items.append(self._unlist_collection(replaced, collection.collection_id))
        self._transact_charged(items, collection.owner_id)

    def _unlist_collection(self, schema_doc_id: str, collection_id: str) -> dict:
        """A transaction item taking a collection off the list of those a schema doc refreshes."""
        return {"Update": {
            "TableName": self.settings.schema_docs_table,
            "Key": _to_item({"schemaDocId": schema_doc_id}),
            "UpdateExpression": "DELETE collectionIds :collection",
            "ExpressionAttributeValues": {":collection": {"SS": [collection_id]}},
        }}

    def detach_schema_doc(self, collection: Collection) -> None:
        items = [{"Update": {
            "TableName": self.settings.collections_table,
            "Key": _to_item({"collectionId": collection.collection_id}),
            "UpdateExpression": "REMOVE schemaDocId, #schema, schemaRevision",
            "ConditionExpression": "attribute_exists(collectionId)",
            "ExpressionAttributeNames": {"#schema": "schema"},
        }}]
        if collection.schema_doc_id:
            items.append(self._unlist_collection(collection.schema_doc_id, collection.collection_id))
        self._transact_charged(items, collection.owner_id)

    def change_schema_doc(self, doc: SchemaDoc, schema_json: str) -> SchemaDoc:
        """Store a schema doc's new text (conditioned on its revision) and spend one request."""
        self._transact_charged([{"Update": {
            "TableName": self.settings.schema_docs_table,
            "Key": _to_item({"schemaDocId": doc.schema_doc_id}),
            "UpdateExpression": "SET #schema = :schema, revision = :next",
            "ConditionExpression": "revision = :expected",
            "ExpressionAttributeNames": {"#schema": "schema"},
            "ExpressionAttributeValues": _to_item({":schema": schema_json, ":next": doc.revision + 1,
                                                   ":expected": doc.revision}),
        }}], doc.owner_id)
        return replace(doc, schema_json=schema_json, revision=doc.revision + 1)

    def refresh_schema_copy(self, collection_id: str, doc: SchemaDoc) -> None:
        """Give a collection the doc's current text, unless it holds a newer one or another doc."""
        try:
            self.dynamodb.update_item(
                TableName=self.settings.collections_table,
                Key=_to_item({"collectionId": collection_id}),
                UpdateExpression="SET #schema = :schema, schemaRevision = :revision",
                ConditionExpression="schemaDocId = :doc AND schemaRevision < :revision",
                ExpressionAttributeNames={"#schema": "schema"},
                ExpressionAttributeValues=_to_item({":schema": doc.schema_json, ":revision": doc.revision,
                                                    ":doc": doc.schema_doc_id}),
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            pass  # already as new, or detached meanwhile: nothing to refresh
