"""What the domain works with, whatever stores it: the entities, the clock, and the storage-neutral
errors a write can end in.

The storage package maps DynamoDB items and S3 objects to and from these; the domain imports them
from here, so nothing outside storage knows how (or where) they are kept.
"""

from dataclasses import dataclass
from datetime import UTC, datetime


def now() -> datetime:
    """The domain's clock: what a key's expiry is judged by, and what utc_now writes. One function,
    looked up on this module when called, so that a test can move time for the whole domain."""
    return datetime.now(UTC)


def jsonbin_time(when: datetime) -> str:
    """A time as JSONBin writes it: ISO 8601, UTC, milliseconds, `Z`."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    """The time now, as JSONBin writes it (see jsonbin_time)."""
    return jsonbin_time(now())


# The kinds of key: a master key (X-Master-Key) may do everything, an access key (X-Access-Key) what it was granted.
MASTER, ACCESS = "master", "access"


@dataclass(frozen=True)
class Account:
    account_id: str
    plan: str
    # Requests left. The allowance is split across shards (storage.charges): as read from the
    # account item (a request's batched read, AccountTables.get) this is that item's share alone, a
    # lower bound: the account item is spent from last, so it is 0 only near the very end, and
    # allowance.check_allowance then reads every shard (AccountTables.whole) before refusing.
    requests_remaining: int
    # Access keys it has (at most plans.MAX_ACCESS_KEYS); None for an account stored before keys
    # were counted: storage.accounts counts those from the keys table's index.
    access_key_count: int | None = 0
    # How many items its allowance is split across (storage.charges); 1 for an account stored
    # before the allowance was split, until binctl migrate splits it.
    allowance_shards: int = 1
    created_at: str = ""
    # Its current master key's id, on the account item, so that a rotation reads it consistently
    # and claims the change with a condition on it (provisioning.rotate_master_key); None for an
    # account stored before, whose master keys are found from the keys table's index.
    master_key_id: str | None = None


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    account_id: str
    secret_hash: str
    kind: str = MASTER
    permissions: frozenset[str] = frozenset()  # what an access key may do to bins
    name: str | None = None  # X-Key-Name, for access keys made over HTTP
    created_at: str = ""
    # A master key replaced by a rotation (binctl account rotate-key) is accepted until then, and
    # refused from then on as an unknown key is (access.valid_key); None: no end.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class BinMeta:
    bin_id: str
    owner_id: str
    private: bool
    revision: int  # bumped by every committed update; the optimistic-concurrency token
    object_key: str  # the latest record's body (see storage.bodies for where it lives)
    # JSONBin's number of the latest record: the base record is version 0, each versioned update
    # writes the next (see storage.bins.version_object_key for where each is kept).
    version_count: int
    collection_id: str | None
    created_at: str
    updated_at: str
    name: str | None = None
    # Moved by every reset of the versions: only version rows of the bin's generation are its kept
    # versions, so a reset forgets every row in its one write, and rows it left behind (a cleanup
    # cut short, a concurrent update's) are never read again, and are overwritten when versions regrow.
    version_generation: int = 0
    latest_versioned: bool = False  # whether the update that wrote the latest record kept a version


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
class ListedBin:
    """A bin as a listing shows it: what the index byListing holds of it."""

    bin_id: str
    private: bool
    created_at: str
    name: str | None = None


@dataclass(frozen=True)
class KeptVersion:
    version: int
    object_key: str
    generation: int = 0  # the bin's version_generation when it was kept


@dataclass(frozen=True)
class StoredBody:
    object_key: str
    bin_id: str  # the bin it was written for
    written_at: datetime


@dataclass(frozen=True)
class IdempotentWrite:
    """A write sent with an Idempotency-Key. Its commit records what it committed, in the same
    transaction, under `record_id` (one per key, route and credentials): so a retry can tell a write
    that took effect (its answer lost) from one that did not, however long ago, and answer as the
    first would have, without applying it again."""

    record_id: str
    request_hash: str  # what the request said: a retry must be the same request


@dataclass(frozen=True)
class RecordedCommit:
    """What an IdempotentWrite committed: the entity as it stood right after its commit."""

    request_hash: str
    entity: "BinMeta | Collection | SchemaDoc | StoredKey"


@dataclass(frozen=True)
class Context:
    """What one batched read returns: a bin, and the caller's key and account."""

    bin: BinMeta | None
    key: StoredKey | None
    account: Account | None


class CommitConflict(Exception):
    """Another update committed first: the bin's revision moved on."""


class AlreadyRecorded(Exception):
    """An idempotent write found its commit record already there: the same request (a retry that
    ran beside it) committed first. Nothing of this one was applied."""


class AllowanceSpent(Exception):
    """The account had no requests left when the write tried to commit."""


class StorageUnavailable(Exception):
    """DynamoDB or S3 failed (after botocore's own retries). Nothing half-done is visible.

    Carries what the logs may say of the failure: the AWS error's type and code, never its text.
    """

    def __init__(self, error_type: str, error_code: str | None = None):
        super().__init__(error_type if error_code is None else f"{error_type} ({error_code})")
        self.error_type = error_type
        self.error_code = error_code


class CommitOutcomeUnknown(StorageUnavailable):
    """DynamoDB did not answer a write (after botocore's own retries): it may or may not be applied."""
