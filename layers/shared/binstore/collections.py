"""Collections (JSONBin v3 `/v3/c`): named groups of bins, validated by an attached schema doc.

Master keys only, as in JSONBin. Each successful request spends one of the account's requests.
"""

from binstore import errors
from binstore.access import Credentials, acting_account, owned
from binstore.ids import is_object_id, new_id
from binstore.model import Account, Collection, IdempotentWrite, StorageUnavailable, utc_now
from binstore.names import required_name
from binstore.plans import MAX_COLLECTIONS_PER_SCHEMA_DOC
from binstore.retries import retry_on_conflict
from binstore.schema_docs import owned_schema_doc
from binstore.schemas import validate_record
from binstore.storage import Store

MAX_NAME_LENGTH = 32


def validate_in_collection(store: Store, collection: Collection, value) -> None:
    """Check a record against its collection's schema doc, if it has one. A mismatch names the doc,
    as JSONBin's answer does: one more read, on a refused request only."""
    if not collection.schema_json:
        return
    try:
        validate_record(collection.schema_json, value)
    except errors.SchemaMismatch as mismatch:
        try:
            doc = store.collections.get_schema_doc(collection.schema_doc_id) if collection.schema_doc_id else None
        except StorageUnavailable:
            doc = None  # the refusal stands; only the doc's name is missing from it
        raise mismatch.of_schema_doc(collection.schema_doc_id, doc.name if doc else None) from None


def create_collection(
    store: Store, credentials: Credentials, name: str | None, idempotent: IdempotentWrite | None = None
) -> Collection:
    name = required_name(name, MAX_NAME_LENGTH, errors.CollectionNameRequired(), errors.CollectionNameTooLong())
    account = acting_account(store, credentials)
    collection = Collection(new_id(), account.account_id, name, utc_now())
    retry_on_conflict(store, lambda: store.collections.create(collection, idempotent))
    return collection


def rename_collection(
    store: Store,
    credentials: Credentials,
    collection_id: str,
    name: str | None,
    idempotent: IdempotentWrite | None = None,
) -> Collection:
    if not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    name = required_name(name, MAX_NAME_LENGTH, errors.CollectionNameRequired(), errors.CollectionNameTooLong())
    account = acting_account(store, credentials)
    return retry_on_conflict(
        store, lambda: store.collections.rename(_owned_collection(store, account, collection_id), name, idempotent)
    )


def _owned_collection(store: Store, account: Account, collection_id: str) -> Collection:
    return owned(store.collections.get(collection_id), account, errors.CollectionNotFound())


def attach_schema_doc(
    store: Store,
    credentials: Credentials,
    collection_id: str,
    schema_doc_id: str | None,
    idempotent: IdempotentWrite | None = None,
) -> Collection:
    if not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    if schema_doc_id is None:
        raise errors.SchemaDocIdRequired()
    if not is_object_id(schema_doc_id):
        raise errors.InvalidSchemaDocId()
    account = acting_account(store, credentials)

    def attach() -> Collection:
        collection = _owned_collection(store, account, collection_id)
        doc = owned_schema_doc(store, account, schema_doc_id)
        if collection_id not in doc.collection_ids and len(doc.collection_ids) >= MAX_COLLECTIONS_PER_SCHEMA_DOC:
            raise errors.SchemaDocAttachedToTooMany(MAX_COLLECTIONS_PER_SCHEMA_DOC)
        # One transaction replaces the doc the collection had, if any: never a moment without one.
        return store.collections.attach_schema_doc(collection, doc, idempotent)

    return retry_on_conflict(store, attach)


def detach_schema_doc(
    store: Store, credentials: Credentials, collection_id: str, idempotent: IdempotentWrite | None = None
) -> Collection:
    if not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    account = acting_account(store, credentials)

    def detach() -> Collection:
        collection = _owned_collection(store, account, collection_id)
        if collection.schema_doc_id is None:
            raise errors.NoSchemaDocAttached()
        return store.collections.detach_schema_doc(collection, idempotent)

    return retry_on_conflict(store, detach)
