"""Reading bins (JSONBin v3 `GET /v3/b/<id>[/<version>]` and the version count), free of HTTP.

A read spends one of the owner's requests if, and only if, it answers (see _Charge).
"""

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from binstore import errors
from binstore.access import READ, BinRoute, Credentials
from binstore.bin_requests import EITHER_KEY_REQUIRED, INVALID_KEY, NOT_FOUND, on_bin
from binstore.ids import is_object_id
from binstore.jsonpaths import JsonPath, select_json
from binstore.model import BinMeta, CommitConflict, Context
from binstore.plans import MAX_VERSIONS_PER_BIN
from binstore.storage import Store

_PARALLEL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="binstore-reads")

READ_ROUTE = BinRoute(
    READ, f"{EITHER_KEY_REQUIRED} to read a private bin", INVALID_KEY, NOT_FOUND, public_without_key=True
)
COUNT_ROUTE = BinRoute(
    READ,
    f"{EITHER_KEY_REQUIRED} to get version count for the private bin",
    INVALID_KEY,
    NOT_FOUND,
    public_without_key=True,
)


@dataclass(frozen=True)
class StoredRecord:
    bin: BinMeta
    version: int | None  # None: the latest record
    json_text: str  # the record, or the JSON list of what X-JSON-Path selected in it
    object_key: str = ""  # the body it was read from

    @property
    def is_latest(self) -> bool:
        return self.version is None or self.version == self.bin.version_count

    def record_value(self):
        return json.loads(self.json_text)


# No bin keeps more versions than this, so a longer number needs no lookup to be refused (and is
# never handed to int(), which refuses over 4300 digits with an error of its own).
_MAX_VERSION_DIGITS = len(str(MAX_VERSIONS_PER_BIN))


def parse_version(text: str | None) -> int | None:
    """`latest` (or nothing) is None; otherwise a version as JSONBin numbers them: 0 is the base record."""
    if text is None or text == "latest":
        return None
    if not text.isascii() or not text.isdigit():
        raise errors.InvalidVersion()
    digits = text.lstrip("0") or "0"  # int() is only ever given a few digits: leading zeros do not count
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
        self._paid_from = 0  # the shard of the owner's allowance it was spent from

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
            self._paid_from = pending.result()  # AllowanceSpent: nothing was spent, and the read is refused
            self._paid_by = owner_id
        return body

    def pay(self, owner_id: str) -> None:
        if not self.paid:
            self._paid_from = self._store.charges.spend(owner_id)
            self._paid_by = owner_id

    def give_back(self) -> None:
        if self._paid_by is not None:
            self._store.charges.refund(self._paid_by, self._paid_from)
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
            kept = store.bins.version_object_key(bin, wanted)
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
        return StoredRecord(bin, wanted, text, object_key)

    try:
        return on_bin(store, READ_ROUTE, bin_id, credentials, read, allowance_needed=lambda: not charge.paid)
    except BaseException:
        charge.give_back()
        raise


def count_versions(store: Store, bin_id: str, credentials: Credentials) -> BinMeta:
    def count(bin: BinMeta, _: Context) -> BinMeta:
        store.charges.spend(bin.owner_id)
        return bin

    return on_bin(store, COUNT_ROUTE, bin_id, credentials, count)
