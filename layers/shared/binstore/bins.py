"""The Bins API around reads and updates (JSONBin v3 `/v3/b`): create, delete, delete versions,
privacy and name. Free of HTTP; reads live in binstore.reads, updates in binstore.updates, and the
path every request on a bin follows in binstore.bin_requests.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from binstore import attribution, errors
from binstore.access import CREATE, DELETE, BinRoute, Credentials, acting_account, owned
from binstore.bin_requests import EITHER_KEY_REQUIRED, INVALID_KEY, KEY_REQUIRED, NOT_FOUND, on_bin
from binstore.collections import validate_in_collection
from binstore.ids import is_object_id, new_id
from binstore.model import AlreadyRecorded, BinMeta, Context, IdempotentWrite, StorageUnavailable, utc_now
from binstore.names import check_bin_name
from binstore.plans import PLANS, check_record_size
from binstore.records import Record, RequestBody
from binstore.retries import retry_on_conflict
from binstore.storage import Store

DELETE_ROUTE = BinRoute(DELETE, f"{EITHER_KEY_REQUIRED} to delete a bin", INVALID_KEY, NOT_FOUND)
# JSONBin opens these to master keys only.
DELETE_VERSIONS_ROUTE = BinRoute(None, KEY_REQUIRED, INVALID_KEY, NOT_FOUND)
META_ROUTE = BinRoute(None, KEY_REQUIRED, INVALID_KEY, NOT_FOUND)

logger = Logger(child=True)


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
    idempotent: IdempotentWrite | None = None,
) -> NewBin:
    if name is not None:
        check_bin_name(name)
    if collection_id is not None and not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    request_body = body if isinstance(body, RequestBody) else RequestBody(body)
    record = request_body.record
    account = acting_account(store, credentials, CREATE, f"{EITHER_KEY_REQUIRED} to create a bin")
    check_record_size(PLANS[account.plan], len(request_body.raw))
    if collection_id is not None:
        collection = owned(store.collections.get(collection_id), account, errors.CollectionNotFound())
        validate_in_collection(store, collection, record.value)
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
        retry_on_conflict(store, lambda: store.bins.create(meta, idempotent))
    except (errors.BinStoreError, AlreadyRecorded):
        store.bodies.discard(object_key)  # not applied: nothing points at the body
        raise
    attribution.attribute(account.account_id, bin_id)
    return NewBin(meta, record)


# Delete


def delete_bin(
    store: Store, bin_id: str, credentials: Credentials, idempotent: IdempotentWrite | None = None
) -> BinMeta:
    """Delete the bin, its versions and every body stored for it; return the bin as it was deleted
    (its version_count: how many versions went)."""

    def delete(bin: BinMeta, _: Context) -> BinMeta:
        store.bins.delete(bin, idempotent)
        # The bin is gone for every reader from here on: what follows is housekeeping, and the answer
        # does not wait on its success (the daily sweep deletes the bodies of a deleted bin).
        with _left_to_the_sweep("bin delete", bin.bin_id):
            store.bins.delete_version_rows(bin.bin_id, store.bins.version_rows(bin.bin_id))
            store.bodies.delete_many(store.bodies.of_bin(bin.bin_id))
        return bin

    return on_bin(store, DELETE_ROUTE, bin_id, credentials, delete)


def delete_versions(
    store: Store,
    bin_id: str,
    credentials: Credentials,
    preserve_latest: bool = False,
    idempotent: IdempotentWrite | None = None,
) -> BinMeta:
    """Delete every kept version; return the bin as the reset found it (its version_count: how many).

    As in JSONBin, the bin then goes back to its base record (the oldest one kept) unless
    `preserve_latest` keeps the latest record.

    One write does it: the bin moves to its next version generation, so every version row of the
    last one stops being a version at once. Deleting those rows and the bodies no record needs any
    more comes after, as housekeeping that any later request can overlap and a retry can repeat.
    """

    def delete(bin: BinMeta, _: Context) -> BinMeta:
        kept = store.bins.kept_versions(bin)
        found = replace(bin, version_count=len(kept))  # what it deletes, however the rows stand
        base = None if preserve_latest or not kept else kept[0].object_key
        store.bins.reset_versions(found, base, not kept and not preserve_latest, idempotent)
        with _left_to_the_sweep("versions delete", bin.bin_id):
            _tidy_after_reset(store, bin, released={version.object_key for version in kept} | {bin.object_key})
        return found

    return on_bin(store, DELETE_VERSIONS_ROUTE, bin_id, credentials, delete)


def _tidy_after_reset(store: Store, before: BinMeta, released: set[str]) -> None:
    """Delete the version rows a reset of `before` left behind, and the bodies only they needed.

    A body is deleted only if a consistent snapshot of the bin, taken after the reset, does not
    reference it (what it points at now, a version kept since); if the bin changed while being
    read, the bodies are left to the sweep.
    """
    store.bins.delete_stale_version_rows(
        before.bin_id, store.bins.version_rows(before.bin_id), below_generation=before.version_generation + 1
    )
    referenced = store.bins.referenced_bodies(before.bin_id)
    if referenced:  # None: changed meanwhile; empty: deleted meanwhile, and the delete takes its bodies
        store.bodies.delete_many(sorted(released - referenced))


@contextmanager
def _left_to_the_sweep(write: str, bin_id: str) -> Iterator[None]:
    """Housekeeping after a committed write: if storage fails, the write still stands (and answers);
    what is left is unreachable and found by the sweep."""
    try:
        yield
    except StorageUnavailable as failure:
        logger.warning(
            "Housekeeping after a committed write failed: left to the sweep",
            extra={"write": write, "bin_id": bin_id, "error_type": failure.error_type},
        )


# Meta


def set_privacy(
    store: Store,
    bin_id: str,
    credentials: Credentials,
    private: bool | None,
    idempotent: IdempotentWrite | None = None,
) -> BinMeta:
    if private is None:
        raise errors.BinPrivacyRequired()

    def change(bin: BinMeta, _: Context) -> BinMeta:
        return store.bins.change_meta(bin, private=private, idempotent=idempotent)

    return on_bin(store, META_ROUTE, bin_id, credentials, change)


def set_name(
    store: Store, bin_id: str, credentials: Credentials, name: str | None, idempotent: IdempotentWrite | None = None
) -> BinMeta:
    if name is None:
        raise errors.BinNameRequired()
    check_bin_name(name)

    def change(bin: BinMeta, _: Context) -> BinMeta:
        return store.bins.change_meta(bin, name=name, idempotent=idempotent)

    return on_bin(store, META_ROUTE, bin_id, credentials, change)
