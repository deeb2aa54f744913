"""Provisioning: accounts, keys, schema docs, collections and bins, as binctl makes them.

Until the HTTP routes for creating bins, collections and schema docs exist, this is how they are
made. Provisioning is an operator's act: it spends none of an account's requests.
"""

import json
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import SchemaError

from binstore import errors
from binstore.ids import is_object_id, new_id
from binstore.keys import generate_key, key_matches, parse_key
from binstore.plans import PLANS
from binstore.records import parse_record
from binstore.schemas import check_schema, validate_record
from binstore.storage import Account, BinMeta, Collection, SchemaDoc, Store, StoredKey, utc_now


@dataclass(frozen=True)
class NewAccount:
    account: Account
    master_key: str  # shown once, never stored


def create_account(store: Store, plan_name: str, requests: int | None = None) -> NewAccount:
    plan = PLANS[plan_name]
    if requests is not None and requests < 0:
        raise ValueError("requests must not be negative")
    now = utc_now()
    account = Account(new_id(), plan.name, plan.default_requests if requests is None else requests)
    store.put_account(account, now)
    key = generate_key(account.account_id)
    store.put_key(StoredKey(key.key_id, account.account_id, key.secret_hash), "master", now)
    return NewAccount(account, key.plaintext)


def authenticate(store: Store, master_key: str) -> Account:
    """The account a master key belongs to, or InvalidMasterKey."""
    parsed = parse_key(master_key)
    stored = store.get_key(parsed.key_id) if parsed else None
    if stored is None or not key_matches(parsed, stored.account_id, stored.secret_hash):
        raise errors.InvalidMasterKey()
    account = store.get_account(stored.account_id)
    if account is None:
        raise errors.InvalidMasterKey()
    return account


def create_schema_doc(store: Store, master_key: str, schema: Any) -> SchemaDoc:
    account = authenticate(store, master_key)
    if not isinstance(schema, dict):
        raise errors.BadRequest("A schema doc must be a JSON object")
    try:
        check_schema(schema)
    except SchemaError as error:
        raise errors.BadRequest(f"Invalid schema doc: {error.message}") from None
    doc = SchemaDoc(new_id(), account.account_id, json.dumps(schema, separators=(",", ":")))
    store.put_schema_doc(doc, utc_now())
    return doc


def _owned(item, account: Account, what: str):
    if item is None or item.owner_id != account.account_id:
        raise errors.NotFound(f"{what} not found or it doesn't belong to your account")
    return item


def create_collection(store: Store, master_key: str, schema_doc_id: str | None = None) -> Collection:
    account = authenticate(store, master_key)
    schema_json = None
    if schema_doc_id is not None:
        if not is_object_id(schema_doc_id):
            raise errors.BadRequest("Invalid Schema Doc Id provided")
        schema_json = _owned(store.get_schema_doc(schema_doc_id), account, "Schema Doc").schema_json
    collection = Collection(new_id(), account.account_id, schema_doc_id, schema_json)
    store.put_collection(collection, utc_now())
    return collection


def create_bin(store: Store, master_key: str, body: bytes, private: bool = True,
               collection_id: str | None = None) -> BinMeta:
    account = authenticate(store, master_key)
    record = parse_record(body)
    if len(body) > PLANS[account.plan].max_record_bytes:
        raise errors.Forbidden(f"The record is over the {account.plan} plan's limit")
    if collection_id is not None:
        if not is_object_id(collection_id):
            raise errors.BadRequest("Invalid Collection Id provided")
        collection = _owned(store.get_collection(collection_id), account, "Collection")
        if collection.schema_json:
            validate_record(collection.schema_json, record.value)
    bin_id = new_id()
    object_key = store.new_object_key(bin_id)
    store.put_body(object_key, record.json_bytes)
    now = utc_now()
    meta = BinMeta(bin_id, account.account_id, private, revision=1, object_key=object_key,
                   version_count=0, collection_id=collection_id, created_at=now, updated_at=now)
    try:
        store.put_bin(meta)
    except Exception:
        store.discard_body(object_key)
        raise
    return meta


@dataclass(frozen=True)
class StoredRecord:
    bin: BinMeta
    version: int | None  # None: the latest record
    json_text: str


def read_bin(store: Store, bin_id: str, version: int | None = None) -> StoredRecord:
    """The latest record of a bin, or its kept version `version` (1 = oldest)."""
    if not is_object_id(bin_id):
        raise errors.InvalidBinId()
    meta = store.get_bin(bin_id)
    if meta is None:
        raise errors.BinNotFound()
    if version is None:
        object_key = meta.object_key
    else:
        object_key = store.get_version_object_key(bin_id, version)
        if object_key is None:
            raise errors.NotFound(f"Version {version} of the bin not found")
    return StoredRecord(meta, version, store.read_body(object_key).decode("utf-8"))
