"""Schema docs (JSONBin v3 `/v3/s`): JSON Schemas that validate the records of a collection.

Master keys only, as in JSONBin. A schema doc must itself be a valid JSON Schema (an object). A
changed doc is copied into every collection it is attached to, so records are validated against
the new text from then on.
"""

import json

from binstore import errors
from binstore.access import Credentials, acting_account, owned
from binstore.ids import is_object_id, new_id
from binstore.model import Account, IdempotentWrite, SchemaDoc, utc_now
from binstore.names import required_name
from binstore.plans import MAX_COLLECTIONS_PER_SCHEMA_DOC
from binstore.records import parse_record, to_json_text
from binstore.retries import retry_on_conflict
from binstore.schemas import check_schema
from binstore.storage import Store

MAX_NAME_LENGTH = 32
MAX_SCHEMA_DOC_BYTES = 100 * 1024
# Keywords that describe a schema without constraining anything: a schema of these alone (or of
# nothing, `{}`) lets every record through.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)


def _lets_everything_through(schema_json: str) -> bool:
    return set(json.loads(schema_json)) <= _ANNOTATIONS


def _schema_text(body: bytes) -> str:
    if len(body) > MAX_SCHEMA_DOC_BYTES:
        # It is stored in one DynamoDB item, and copied into each collection's (400 KB each at most).
        raise errors.SchemaDocTooLarge(MAX_SCHEMA_DOC_BYTES)
    schema = parse_record(body).value
    if not isinstance(schema, dict):
        raise errors.InvalidSchemaDoc("it must be a JSON object")
    try:
        check_schema(schema)
    except RecursionError:
        raise errors.InvalidSchemaDoc("it is nested too deeply") from None
    text = to_json_text(schema)  # escapes a lone surrogate, which DynamoDB cannot store as text
    if len(text.encode("utf-8")) > MAX_SCHEMA_DOC_BYTES:
        raise errors.SchemaDocTooLarge(MAX_SCHEMA_DOC_BYTES)  # as stored: 1e15 is stored 1000000000000000.0
    return text


def owned_schema_doc(store: Store, account: Account, schema_doc_id: str) -> SchemaDoc:
    return owned(store.collections.get_schema_doc(schema_doc_id), account, errors.SchemaDocNotFound())


def create_schema_doc(
    store: Store, credentials: Credentials, name: str | None, body: bytes, idempotent: IdempotentWrite | None = None
) -> SchemaDoc:
    name = required_name(name, MAX_NAME_LENGTH, errors.SchemaDocNameRequired(), errors.SchemaDocNameTooLong())
    schema_json = _schema_text(body)
    account = acting_account(store, credentials)
    doc = SchemaDoc(new_id(), account.account_id, name, schema_json, utc_now())
    retry_on_conflict(store, lambda: store.collections.create_schema_doc(doc, idempotent))
    return doc


def _checked_id(schema_doc_id: str) -> str:
    if not is_object_id(schema_doc_id):
        raise errors.InvalidSchemaDocId()
    return schema_doc_id


def read_schema_doc(store: Store, credentials: Credentials, schema_doc_id: str) -> SchemaDoc:
    _checked_id(schema_doc_id)
    account = acting_account(store, credentials)
    doc = owned_schema_doc(store, account, schema_doc_id)
    retry_on_conflict(store, lambda: store.charges.spend(account.account_id))
    return doc


def update_schema_doc(
    store: Store,
    credentials: Credentials,
    schema_doc_id: str,
    body: bytes,
    idempotent: IdempotentWrite | None = None,
    name: str | None = None,
) -> SchemaDoc:
    """Change a schema doc's schema, and its name if one is given. Given a name and the body `{}` (how
    JSONBin's samples and clients rename a schema doc), rename it and keep its schema.

    An update never turns a schema into `{}`, or into annotations alone (`{"$schema": ...}`), which
    let every record through: that would silently stop the validation of every collection using it.
    """
    _checked_id(schema_doc_id)
    if name is not None:
        name = required_name(name, MAX_NAME_LENGTH, errors.SchemaDocNameRequired(), errors.SchemaDocNameTooLong())
    schema_json = _schema_text(body)
    if _lets_everything_through(schema_json):
        if name is None:
            raise errors.SchemaDocEmptied()
        return rename_schema_doc(store, credentials, schema_doc_id, name, idempotent)
    account = acting_account(store, credentials)

    def change() -> SchemaDoc:
        doc = owned_schema_doc(store, account, schema_doc_id)
        if len(doc.collection_ids) > MAX_COLLECTIONS_PER_SCHEMA_DOC:
            # Attached before the limit existed: its change and their copies cannot fit one transaction.
            raise errors.SchemaDocAttachedToTooMany(MAX_COLLECTIONS_PER_SCHEMA_DOC)
        # With the copy of every collection the doc lists, in one transaction (see storage).
        return store.collections.change_schema_doc(doc, schema_json, idempotent, name)

    return retry_on_conflict(store, change)


def rename_schema_doc(
    store: Store,
    credentials: Credentials,
    schema_doc_id: str,
    name: str | None,
    idempotent: IdempotentWrite | None = None,
) -> SchemaDoc:
    _checked_id(schema_doc_id)
    name = required_name(name, MAX_NAME_LENGTH, errors.SchemaDocNameRequired(), errors.SchemaDocNameTooLong())
    account = acting_account(store, credentials)
    return retry_on_conflict(
        store,
        lambda: store.collections.rename_schema_doc(owned_schema_doc(store, account, schema_doc_id), name, idempotent),
    )
