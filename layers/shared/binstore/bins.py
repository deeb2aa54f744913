"""The Bins API around reads and updates (JSONBin v3 `/v3/b`): create, delete, delete versions,
privacy and name. Free of HTTP; reads live in binstore.reads, updates in binstore.updates, and the
path every request on a bin follows in binstore.bin_requests.
"""

from dataclasses import dataclass

from binstore import errors
from binstore.access import CREATE, DELETE, BinRoute, Credentials, acting_account, owned
from binstore.bin_requests import INVALID_KEY, KEY_REQUIRED, NOT_FOUND, on_bin
from binstore.ids import is_object_id, new_id
from binstore.model import BinMeta, Context, utc_now
from binstore.names import check_bin_name
from binstore.plans import PLANS, check_record_size
from binstore.records import Record, RequestBody
from binstore.retries import retry_on_conflict
from binstore.schemas import validate_record
from binstore.storage import Store

DELETE_ROUTE = BinRoute(DELETE, KEY_REQUIRED, INVALID_KEY, NOT_FOUND)
# JSONBin opens these to master keys only.
DELETE_VERSIONS_ROUTE = BinRoute(None, KEY_REQUIRED, INVALID_KEY, NOT_FOUND)
META_ROUTE = BinRoute(None, KEY_REQUIRED, INVALID_KEY, NOT_FOUND)


# Create


@dataclass(frozen=True)
class NewBin:
    bin: BinMeta
    record: Record


def create_bin(
    store: Store,
    credentials: Credentials,
    body: bytes | RequestBody,
    private: bool = True,
    name: str | None = None,
    collection_id: str | None = None,
) -> NewBin:
    if name is not None:
        check_bin_name(name)
    if collection_id is not None and not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    request_body = body if isinstance(body, RequestBody) else RequestBody(body)
    record = request_body.record
    account = acting_account(store, credentials, CREATE)
    check_record_size(PLANS[account.plan], len(request_body.raw))
    if collection_id is not None:
        collection = owned(store.collections.get(collection_id), account, errors.CollectionNotFound())
        if collection.schema_json:
            validate_record(collection.schema_json, record.value)
    bin_id = new_id()
    object_key = store.bodies.new_key(bin_id)
    store.bodies.put(object_key, record.json_bytes)
    now = utc_now()
    meta = BinMeta(
        bin_id,
        account.account_id,
        private,
        revision=1,
        object_key=object_key,
        version_count=0,
        collection_id=collection_id,
        created_at=now,
        updated_at=now,
        name=name,
    )
    try:
        # A conflict is another transaction on the owner's account item (a concurrent request of
        # the same account): the id is fresh, so trying again is safe.
        retry_on_conflict(store, lambda: store.bins.create(meta))
    except errors.BinStoreError:
        store.bodies.discard(object_key)  # refused: nothing points at the body
        raise
    return NewBin(meta, record)


# Delete


def delete_bin(store: Store, bin_id: str, credentials: Credentials) -> int:
    """Delete the bin, its versions and every body stored for it; return how many versions went."""

    def delete(bin: BinMeta, _: Context) -> int:
        store.bins.delete(bin)
        # The bin is gone for every reader from here on; what follows is housekeeping.
        store.bins.delete_versions(bin.bin_id, store.bins.versions(bin.bin_id))
        store.bodies.delete_many(store.bodies.of_bin(bin.bin_id))
        return bin.version_count

    return on_bin(store, DELETE_ROUTE, bin_id, credentials, delete)


def delete_versions(store: Store, bin_id: str, credentials: Credentials, preserve_latest: bool = False) -> int:
    """Delete every kept version; return how many.

    As in JSONBin, the bin then goes back to its base record (the oldest one kept) unless
    `preserve_latest` keeps the latest record.
    """

    def delete(bin: BinMeta, _: Context) -> int:
        versions = store.bins.versions(bin.bin_id)
        object_key = bin.object_key if preserve_latest or not versions else versions[0].object_key
        store.bins.reset_versions(bin, object_key)
        store.bins.delete_versions(bin.bin_id, versions)
        released = {kept.object_key for kept in versions} | {bin.object_key}
        store.bodies.delete_many(sorted(released - {object_key}))
        return len(versions)

    return on_bin(store, DELETE_VERSIONS_ROUTE, bin_id, credentials, delete)


# Meta


def set_privacy(store: Store, bin_id: str, credentials: Credentials, private: bool | None) -> BinMeta:
    if private is None:
        raise errors.BinPrivacyRequired()
    return on_bin(store, META_ROUTE, bin_id, credentials, lambda bin, _: store.bins.change_meta(bin, private=private))


def set_name(store: Store, bin_id: str, credentials: Credentials, name: str | None) -> BinMeta:
    if name is None:
        raise errors.BinNameRequired()
    check_bin_name(name)
    return on_bin(store, META_ROUTE, bin_id, credentials, lambda bin, _: store.bins.change_meta(bin, name=name))
