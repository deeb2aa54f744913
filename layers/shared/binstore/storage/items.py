"""DynamoDB items to and from the domain's entities (binstore.model), and the item that creates one.

Attribute names are DynamoDB's camelCase, as stored; a missing optional attribute maps to the
entity's default, and an entity's None is never written.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from binstore.model import (
    Account,
    BinMeta,
    Collection,
    IdempotentWrite,
    RecordedCommit,
    SchemaDoc,
    StoredKey,
    jsonbin_time,
)

Entity = BinMeta | Collection | SchemaDoc | StoredKey

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def to_item(values: dict) -> dict:
    """Plain values as a DynamoDB item (or key, or expression values); None values are left out."""
    return {name: _serialize(value) for name, value in values.items() if value is not None}


def from_item(item: dict) -> dict:
    return {name: _deserialize(value) for name, value in item.items()}


def put_new_item(table: str, key_name: str, values: dict) -> dict:
    """A transaction item creating an item; never overwriting one (ids are random: a clash is a bug)."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(values),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": {"#key": key_name},
        }
    }


def account_from(values: dict) -> Account:
    return Account(
        values["accountId"],
        values["plan"],
        int(values["requestsRemaining"]),
        # Absent: an account from before access keys were counted.
        int(values["accessKeyCount"]) if "accessKeyCount" in values else None,
        int(values.get("allowanceShards", 1)),
        values.get("createdAt", ""),
        values.get("masterKeyId"),
    )


def account_values(account: Account, now: str, requests_remaining: int, shards: int) -> dict:
    """The account item: `requests_remaining` is its own share of the allowance (shard 0 of `shards`)."""
    return {
        "accountId": account.account_id,
        "plan": account.plan,
        "requestsRemaining": requests_remaining,
        "allowanceShards": shards,
        "accessKeyCount": account.access_key_count or 0,
        "createdAt": now,
        **({"masterKeyId": account.master_key_id} if account.master_key_id else {}),
    }


def shard_values(account_id: str, shard_key: dict, requests_remaining: int) -> dict:
    """An allowance shard other than the account item: its requests, and whose they are."""
    return {**shard_key, "shardOf": account_id, "requestsRemaining": requests_remaining}


def key_from(values: dict) -> StoredKey:
    return StoredKey(
        values["keyId"],
        values["accountId"],
        values["secretHash"],
        values.get("kind", "master"),
        frozenset(values.get("permissions", ())),
        values.get("name"),
        values.get("createdAt", ""),
        datetime.fromisoformat(values["expiresAt"]) if "expiresAt" in values else None,
    )


def key_values(key: StoredKey) -> dict:
    return {
        "keyId": key.key_id,
        "accountId": key.account_id,
        "secretHash": key.secret_hash,
        "kind": key.kind,
        "permissions": sorted(key.permissions) or None,
        "name": key.name,
        "createdAt": key.created_at or None,
        "expiresAt": key_expiry_value(key.expires_at) if key.expires_at else None,
    }


def key_expiry_value(expires_at: datetime) -> str:
    """A key's expiry as stored: text (ISO 8601, UTC, as JSONBin writes times), never a number.
    DynamoDB's TTL deletes only on a number (epoch seconds), so no TTL setting of the keys table,
    now or later, can delete a key for its expiry, early or at all: the domain's check alone
    refuses it (access.valid_key). Texts of this one form sort as the times they write, which a
    condition comparing two expiries relies on (storage.accounts.expire_key)."""
    return jsonbin_time(expires_at)


def bin_from(values: dict) -> BinMeta:
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
        version_generation=int(values.get("versionGeneration", 0)),
        latest_versioned=bool(values.get("latestVersioned", False)),
    )


UNCATEGORIZED = "uncategorized"


def bin_listing(owner_id: str, collection_id: str | None) -> str:
    """Which listing a bin is in (the index byListing's partition): its owner's bins of one
    collection, or of none. Neither changes in a bin's life, so neither does its listing."""
    return f"{owner_id}#{collection_id or UNCATEGORIZED}"


def listed_at(created_at: str, bin_id: str) -> str:
    """Where a bin sorts in its listing: by creation, then by id (ISO times sort as text)."""
    return f"{created_at}#{bin_id}"


def listing_values(meta: BinMeta) -> dict:
    return {
        "listing": bin_listing(meta.owner_id, meta.collection_id),
        "listedAt": listed_at(meta.created_at, meta.bin_id),
    }


def bin_values(meta: BinMeta) -> dict:
    return {
        **listing_values(meta),
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
        "versionGeneration": meta.version_generation,
        "latestVersioned": meta.latest_versioned or None,
    }


def collection_from(values: dict) -> Collection:
    return Collection(
        collection_id=values["collectionId"],
        owner_id=values["ownerId"],
        name=values.get("name", ""),
        created_at=values.get("createdAt", ""),
        schema_doc_id=values.get("schemaDocId"),
        schema_json=values.get("schema"),
        schema_revision=int(values.get("schemaRevision", 0)),
    )


def collection_values(collection: Collection) -> dict:
    """A new collection's item: a schema doc is attached later, by its own transaction."""
    return {
        "collectionId": collection.collection_id,
        "ownerId": collection.owner_id,
        "name": collection.name,
        "createdAt": collection.created_at,
    }


def collection_state(collection: Collection) -> dict:
    """A collection's values, with its schema doc and the copy of it, if any."""
    return {
        **collection_values(collection),
        "schemaDocId": collection.schema_doc_id,
        "schema": collection.schema_json,
        "schemaRevision": collection.schema_revision,
    }


def schema_doc_from(values: dict) -> SchemaDoc:
    return SchemaDoc(
        schema_doc_id=values["schemaDocId"],
        owner_id=values["ownerId"],
        name=values.get("name", ""),
        schema_json=values["schema"],
        created_at=values.get("createdAt", ""),
        revision=int(values.get("revision", 1)),
        collection_ids=frozenset(values.get("collectionIds", ())),
    )


def schema_doc_values(doc: SchemaDoc) -> dict:
    """A new schema doc's item: collections list themselves on it when they attach it."""
    return {
        "schemaDocId": doc.schema_doc_id,
        "ownerId": doc.owner_id,
        "name": doc.name,
        "schema": doc.schema_json,
        "revision": doc.revision,
        "createdAt": doc.created_at,
    }


# What a recorded commit holds, by the kind of entity it committed: how to store it, how to read it.
_RECORDED_KINDS: dict[str, tuple[type, Callable[[Any], dict], Callable[[dict], Entity]]] = {
    "bin": (BinMeta, bin_values, bin_from),
    "collection": (Collection, collection_state, collection_from),
    "schemaDoc": (SchemaDoc, schema_doc_values, schema_doc_from),
    "accessKey": (StoredKey, key_values, key_from),  # a hash, as the keys table holds it; never a key
}
# Kept as long as Powertools keeps its idempotency records (the table's TTL attribute, `expiration`).
RECORD_SECONDS = 24 * 60 * 60


def recorded_commit_key(record_id: str) -> dict:
    return {"id": f"commit#{record_id}"}


def recorded_commit_item(table: str, write: IdempotentWrite, entity: Entity) -> dict:
    """A transaction item recording what an idempotent write committed; it fails its condition if the
    write already committed once, which cancels the transaction: a write never applies twice."""
    kind = next(name for name, (cls, _, _) in _RECORDED_KINDS.items() if isinstance(entity, cls))
    values = _RECORDED_KINDS[kind][1](entity)
    now = int(time.time())
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(
                {
                    **recorded_commit_key(write.record_id),
                    "request": write.request_hash,
                    "kind": kind,
                    "entity": {name: value for name, value in values.items() if value is not None},
                    "expiration": now + RECORD_SECONDS,
                }
            ),
            # An expired record is gone, whether or not DynamoDB's TTL has deleted it yet.
            "ConditionExpression": "attribute_not_exists(id) OR expiration <= :now",
            "ExpressionAttributeValues": to_item({":now": now}),
        }
    }


def recorded_commit_from(values: dict) -> RecordedCommit:
    return RecordedCommit(values["request"], _RECORDED_KINDS[values["kind"]][2](values["entity"]))
