"""The Bins API around updates (JSONBin v3 `/v3/b`): create, read, count and delete versions,
delete, privacy and name. Free of HTTP; updates live in binstore.updates.

Every route that acts on a bin follows one path (`_on_bin`): what the request alone can refuse
costs no AWS call; one batched read fetches the bin with the caller's key and account; the route's
rules authorise the caller; one conditional write does the work and spends one of the owner's
requests in the same transaction, retried from a fresh read if the bin changed meanwhile.
A request that is refused spends nothing.
"""

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from binstore import errors
from binstore.access import CREATE, DELETE, READ, BinRoute, Credentials, acting_account, authorise_bin, owned
from binstore.allowance import check_allowance
from binstore.ids import is_object_id, new_id
from binstore.jsonpaths import JsonPath, select_json
from binstore.model import BinMeta, CommitConflict, Context, utc_now
from binstore.names import check_bin_name
from binstore.plans import MAX_VERSIONS_PER_BIN, PLANS, check_record_size
from binstore.records import Record, RequestBody
from binstore.retries import retry_on_conflict
from binstore.schemas import validate_record
from binstore.storage import Store
from binstore.storage.bodies import new_object_key

_PARALLEL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="binstore-bins")

_NOT_FOUND = "Bin not found or it doesn't belong to your account"
_KEY_REQUIRED = "You need to pass X-Master-Key in the header"
_INVALID_KEY = "X-Master-Key is invalid or the bin doesn't belong to your account"

READ_ROUTE = BinRoute(READ, f"{_KEY_REQUIRED} to read a private bin", _INVALID_KEY, _NOT_FOUND, public_without_key=True)
COUNT_ROUTE = BinRoute(
    READ, f"{_KEY_REQUIRED} to get version count for the private bin", _INVALID_KEY, _NOT_FOUND, public_without_key=True
)
DELETE_ROUTE = BinRoute(DELETE, _KEY_REQUIRED, _INVALID_KEY, _NOT_FOUND)
# JSONBin opens these to master keys only.
DELETE_VERSIONS_ROUTE = BinRoute(None, _KEY_REQUIRED, _INVALID_KEY, _NOT_FOUND)
META_ROUTE = BinRoute(None, _KEY_REQUIRED, _INVALID_KEY, _NOT_FOUND)


def _on_bin[T](
    store: Store,
    route: BinRoute,
    bin_id: str,
    credentials: Credentials,
    act: Callable[[BinMeta, Context], T],
    allowance_needed: Callable[[], bool] = lambda: True,
) -> T:
    """Authorise `route` on the bin, then `act` on it; retried from a fresh read on a conflict.

    `allowance_needed` says whether the owner must still have a request left: not for a read that
    has already paid its own (the account may be at 0 because of it).
    """
    if not is_object_id(bin_id):
        raise errors.InvalidBinId()
    parsed = credentials.parsed()

    def attempt() -> T:
        context = store.read_context(bin_id, parsed.key_id if parsed else None, parsed.account_id if parsed else None)
        if context.bin is None:
            raise errors.NotFound(route.not_found)
        if authorise_bin(route, context.bin, credentials, parsed, context.key) and allowance_needed():
            # The bin's owner deleted: nobody can be charged, and the bin is as good as gone.
            check_allowance(context.account, store.settings.buy_requests_at, errors.NotFound(route.not_found))
        return act(context.bin, context)

    return retry_on_conflict(store, attempt)


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
    object_key = new_object_key(bin_id)
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


# Read


@dataclass(frozen=True)
class StoredRecord:
    bin: BinMeta
    version: int | None  # None: the latest record
    json_text: str  # the record, or the JSON list of what X-JSON-Path selected in it

    def record_value(self):
        return json.loads(self.json_text)


# No bin keeps more versions than this, so a longer number needs no lookup to be refused (and is
# never handed to int(), which refuses over 4300 digits with an error of its own).
_MAX_VERSION_DIGITS = len(str(MAX_VERSIONS_PER_BIN))


def parse_version(text: str | None) -> int | None:
    """`latest` (or nothing) is None; otherwise a kept version, numbered from 1 (the oldest)."""
    if text is None or text == "latest":
        return None
    if not text.isascii() or not text.isdigit():
        raise errors.InvalidVersion()
    digits = text.lstrip("0")  # int() is only ever given a few digits: leading zeros do not count
    if not digits:
        raise errors.InvalidVersion()
    if len(digits) > _MAX_VERSION_DIGITS or int(digits) > MAX_VERSIONS_PER_BIN:
        raise errors.VersionNotFound()
    return int(digits)


class _Charge:
    """The one request a read spends, whatever retries it takes; given back if the read fails.

    A plain read's charge runs beside the body's fetch (no extra round trip). A body that vanished
    meanwhile (a concurrent update, delete or version reset) sends the read round again on the
    charge it already paid; a read that then fails (the bin is gone, the storage failed) gives the
    request back. A read with X-JSON-Path is charged after its expression is evaluated instead (one
    more round trip), so a costly expression that is refused never holds one of the owner's
    requests while it runs.
    """

    def __init__(self, store: Store):
        self._store = store
        self._paid_by: str | None = None

    @property
    def paid(self) -> bool:
        return self._paid_by is not None

    def pay_while(self, owner_id: str, fetch: Callable[[], bytes | None]) -> bytes | None:
        if self.paid:
            return fetch()
        pending = _PARALLEL.submit(self._store.charges.spend, owner_id)
        try:
            body = fetch()
        finally:
            pending.result()  # AllowanceSpent: nothing was spent, and the read is refused
            self._paid_by = owner_id
        return body

    def pay(self, owner_id: str) -> None:
        if not self.paid:
            self._store.charges.spend(owner_id)
            self._paid_by = owner_id

    def give_back(self) -> None:
        if self._paid_by is not None:
            self._store.charges.refund(self._paid_by)
            self._paid_by = None


def read_bin(
    store: Store, bin_id: str, credentials: Credentials, version: str | None = None, json_path: JsonPath | None = None
) -> StoredRecord:
    """The latest record or a kept version; with `json_path`, the list of what it selects.

    Spends one request of the owner's if, and only if, the read answers (see _Charge).
    """
    if not is_object_id(bin_id):
        raise errors.InvalidBinId()  # before the version: a bad id is what JSONBin names first
    wanted = parse_version(version)
    charge = _Charge(store)
    vanished: set[str] = set()

    def read(bin: BinMeta, _: Context) -> StoredRecord:
        if wanted is None:
            object_key = bin.object_key
        else:
            kept = store.bins.version_object_key(bin.bin_id, wanted) if wanted <= bin.version_count else None
            if kept is None:
                raise errors.VersionNotFound()
            object_key = kept
        if object_key in vanished:
            # The bin still points at a body that is gone: not a race but a loss. Say so now
            # rather than after every retry.
            raise errors.RecordUnreadable()
        if json_path is None:
            body = charge.pay_while(bin.owner_id, lambda: store.bodies.read(object_key))
        else:
            body = store.bodies.read(object_key)
        if body is None:
            vanished.add(object_key)
            raise CommitConflict()  # read the bin again: it has moved on
        text = body.decode("utf-8")
        if json_path is not None:
            text = select_json(json_path, text)
            charge.pay(bin.owner_id)
        return StoredRecord(bin, wanted, text)

    try:
        return _on_bin(store, READ_ROUTE, bin_id, credentials, read, allowance_needed=lambda: not charge.paid)
    except BaseException:
        charge.give_back()
        raise


def count_versions(store: Store, bin_id: str, credentials: Credentials) -> BinMeta:
    def count(bin: BinMeta, _: Context) -> BinMeta:
        store.charges.spend(bin.owner_id)
        return bin

    return _on_bin(store, COUNT_ROUTE, bin_id, credentials, count)


# Delete


def delete_bin(store: Store, bin_id: str, credentials: Credentials) -> int:
    """Delete the bin, its versions and every body stored for it; return how many versions went."""

    def delete(bin: BinMeta, _: Context) -> int:
        store.bins.delete(bin)
        # The bin is gone for every reader from here on; what follows is housekeeping.
        store.bins.delete_versions(bin.bin_id, store.bins.versions(bin.bin_id))
        store.bodies.delete_many(store.bodies.of_bin(bin.bin_id))
        return bin.version_count

    return _on_bin(store, DELETE_ROUTE, bin_id, credentials, delete)


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

    return _on_bin(store, DELETE_VERSIONS_ROUTE, bin_id, credentials, delete)


# Meta


def set_privacy(store: Store, bin_id: str, credentials: Credentials, private: bool | None) -> BinMeta:
    if private is None:
        raise errors.BinPrivacyRequired()
    return _on_bin(store, META_ROUTE, bin_id, credentials, lambda bin, _: store.bins.change_meta(bin, private=private))


def set_name(store: Store, bin_id: str, credentials: Credentials, name: str | None) -> BinMeta:
    if name is None:
        raise errors.BinNameRequired()
    check_bin_name(name)
    return _on_bin(store, META_ROUTE, bin_id, credentials, lambda bin, _: store.bins.change_meta(bin, name=name))
