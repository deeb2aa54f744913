"""Provisioning, the operator's side: accounts, their allowances, plans and master keys.

Accounts exist only through binctl (there is no sign-up route, nor any route on accounts). Making
an account spends none of its requests, and nothing here spends any. Access keys, bins,
collections and schema docs are made through the API's own code (binstore.access_keys, .bins,
.collections, .schema_docs), whether over HTTP or from binctl. An account's deletion is
binstore.account_deletion's.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from binstore import errors, model
from binstore.access import MASTER, PERMISSIONS
from binstore.ids import is_object_id, new_id
from binstore.keys import generate_key
from binstore.model import Account, BinMeta, StoredKey, jsonbin_time, utc_now
from binstore.plans import PLANS
from binstore.retries import retry_on_conflict
from binstore.storage import Store

# The most requests an account may have left, checked on a read (adds at the same moment can pass
# it). What no add can pass, however many run at once, is EXACT_IN_JSON: each shard's write has a
# ceiling (storage.accounts.add_allowance), so the count stays exact in a JavaScript client's
# numbers, and far inside DynamoDB's (38 digits).
MAX_REQUESTS = 10**15
EXACT_IN_JSON = 2**53 - 1

# How long a rotation may leave the old master key working: for clients to switch keys, not for
# an account to keep two keys.
MAX_ROTATION_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class NewAccount:
    account: Account
    master_key: str  # shown once, never stored


def create_account(store: Store, plan_name: str, requests: int | None = None) -> NewAccount:
    plan = PLANS[plan_name]
    if requests is not None and requests < 0:
        raise ValueError("requests must not be negative")
    now = utc_now()
    account_id = new_id()
    key = generate_key(account_id)
    allowance = plan.default_requests if requests is None else requests
    account = Account(account_id, plan.name, allowance, created_at=now, master_key_id=key.key_id)
    store.accounts.put(account, now)
    store.accounts.put_key(StoredKey(key.key_id, account.account_id, key.secret_hash, MASTER, created_at=now))
    return NewAccount(account, key.plaintext)


def parse_permissions(text: str) -> tuple[str, ...]:
    """`read,update` -> ("read", "update"), in JSONBin's order; unknown names are refused."""
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = wanted - set(PERMISSIONS)
    if unknown or not wanted:
        raise ValueError(f"permissions must be some of {', '.join(PERMISSIONS)}")
    return tuple(permission for permission in PERMISSIONS if permission in wanted)


@dataclass(frozen=True)
class OperatorRecord:
    bin: BinMeta
    version: int | None
    json_text: str


def operator_read(store: Store, bin_id: str, version: int | None = None) -> OperatorRecord:
    """Any bin's latest record, or its version `version` (0 = the base record, as JSONBin numbers
    them), without a key or a charge."""
    if not is_object_id(bin_id):
        raise errors.InvalidBinId()
    meta = store.bins.get(bin_id)
    if meta is None:
        raise errors.NotFound("Bin not found")
    object_key = meta.object_key if version is None else store.bins.version_object_key(meta, version)
    if object_key is None:
        raise errors.VersionNotFound()
    body = store.bodies.read(object_key)
    if body is None:
        raise errors.RecordUnreadable()  # the bin points at a body that is gone: a loss, not a race
    return OperatorRecord(meta, version, body.decode("utf-8"))


# Accounts, as the operator sees and changes them


def checked_account_id(account_id: str) -> str:
    if not is_object_id(account_id):
        raise errors.InvalidAccountId()
    return account_id


def account_item(store: Store, account_id: str) -> Account:
    """The account as its item holds it (its share of the allowance alone: see Account);
    AccountNotFound if there is none."""
    account = store.accounts.get(checked_account_id(account_id))
    if account is None:
        raise errors.AccountNotFound(account_id)
    return account


def existing_account(store: Store, account_id: str) -> Account:
    """The account with its exact requests left (every shard read); AccountNotFound if there is none."""
    return store.accounts.whole(account_item(store, account_id))


@dataclass(frozen=True)
class AccountSummary:
    account: Account  # with its exact requests left
    bins: int  # as its listings count them (binctl migrate lists bins from before listings)
    access_keys: int


def describe_account(store: Store, account_id: str) -> AccountSummary:
    account = existing_account(store, account_id)
    bins = store.bins.count_listed(account.account_id, store.collections.ids_listed(account.account_id))
    return AccountSummary(account, bins, store.accounts.access_key_count(account))


def list_accounts(store: Store) -> list[Account]:
    """Every account, oldest first, with its requests left (storage.accounts.all_accounts)."""
    return store.accounts.all_accounts()


def set_requests(store: Store, account_id: str, total: int) -> Account:
    """Set the account's requests left to `total`, whatever it had: requests spent meanwhile are
    forgotten (add_requests is the one to use beside live traffic)."""
    if not 0 <= total <= MAX_REQUESTS:
        raise ValueError(f"requests must be 0 to {MAX_REQUESTS}")
    account_item(store, account_id)  # an unknown account refused as such, not as a failed write
    store.accounts.set_allowance(account_id, total)
    return existing_account(store, account_id)


def add_requests(store: Store, account_id: str, added: int) -> Account:
    """Add `added` requests to the account's allowance, exactly, whatever requests spend meanwhile
    (an ADD: storage.accounts.add_allowance); return the account just after, with its requests
    left then. Never negative: taking requests away in the same way could leave a shard below 0
    or refuse while others hold enough; set_requests lowers an allowance."""
    if added < 0:
        raise ValueError("requests to add must not be negative: set-requests lowers an allowance")

    def add() -> None:
        # Read again after a conflict: binctl migrate split the account meanwhile, or adds at the
        # same moment took a shard to its ceiling.
        account = existing_account(store, account_id)  # its shards, as add_allowance conditions on
        if account.requests_remaining + added > MAX_REQUESTS:
            raise ValueError(f"an account may have at most {MAX_REQUESTS} requests left")
        store.accounts.add_allowance(account, added, most=EXACT_IN_JSON)

    try:
        retry_on_conflict(store, add)
    except errors.TooManyConcurrentUpdates:
        raise ValueError(
            "the account's allowance kept changing under this add (other adds at the same moment, near "
            f"the most an account may hold, {EXACT_IN_JSON}, or binctl migrate): nothing was added; "
            "check account show, then run it again"
        ) from None
    return existing_account(store, account_id)


def set_plan(store: Store, account_id: str, plan_name: str) -> Account:
    """Put the account on another plan; its requests left stay as they are."""
    if plan_name not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(sorted(PLANS))}")
    if not store.accounts.set_plan(checked_account_id(account_id), plan_name):
        raise errors.AccountNotFound(account_id)
    return existing_account(store, account_id)


def account_keys(store: Store, account_id: str) -> list[StoredKey]:
    """Every key of the account, master keys first, then oldest first; never with its hash.

    The keys table's index lists them (without expiries); a master key's expiry is read from the
    table itself (an account has one master key, two for a while after a rotation)."""
    account_item(store, account_id)
    keys = []
    for listed in store.accounts.keys_of(account_id):
        key = store.accounts.get_key(listed.key_id) if listed.kind == MASTER else listed
        if key is not None:  # deleted since the index listed it
            keys.append(replace(key, secret_hash=""))
    return sorted(keys, key=lambda key: (key.kind != MASTER, key.created_at, key.key_id))


@dataclass(frozen=True)
class Rotation:
    account_id: str
    master_key: str  # the new one: shown once, never stored
    master_key_id: str
    revoked: list[str]  # old master keys, deleted: refused from now on
    expiring: dict[str, datetime]  # old master keys, accepted until then


def rotate_master_key(
    store: Store, account_id: str, grace: timedelta = timedelta(0), now: datetime | None = None
) -> Rotation:
    """Give the account a new master key, and end every other master key it has: at once (no
    `grace`), or at `now + grace`, for clients to switch; until then either key works. An old key
    that would expire sooner keeps its expiry; one past it is deleted (so rotations remove what
    earlier ones left).

    The new key is stored before any old one is touched: a crash in between leaves both working,
    never none, and a rotation again ends both. Then the account item's current master key is
    moved to the new one, on condition that it is still the one read: of two rotations at once,
    one wins, and the other withdraws its new key (ConcurrentRotation), so the key each prints is
    the one that works. The old keys are the current one (read consistently from the account item)
    and every master key the index lists (those a crash or an earlier rotation left). An old key
    that expires stays stored but is refused as an unknown key is (access.valid_key), until the
    next rotation, or the account's deletion, deletes it.
    """
    if not timedelta(0) <= grace <= MAX_ROTATION_GRACE:
        raise ValueError(f"the grace period must be 0 to {MAX_ROTATION_GRACE.days} days")
    now = model.now() if now is None else now
    current = account_item(store, account_id).master_key_id  # read consistently: the index may lag
    old = {key.key_id for key in store.accounts.keys_of(account_id) if key.kind == MASTER}
    old |= {current} if current else set()
    new = generate_key(account_id)
    store.accounts.put_key(StoredKey(new.key_id, account_id, new.secret_hash, MASTER, created_at=jsonbin_time(now)))
    if not store.accounts.claim_master_key(account_id, current, new.key_id):
        # Another rotation changed the current key since it was read: two would leave two new keys,
        # or revoke the one the other just printed. This one withdraws its key, and says so.
        store.accounts.delete_key(new.key_id)
        raise errors.ConcurrentRotation(account_id)
    revoked, expiring = [], {}
    for key_id in sorted(old):
        stored = store.accounts.get_key(key_id)
        if stored is None:
            continue  # deleted since the index listed it
        ends = now + grace if stored.expires_at is None else min(stored.expires_at, now + grace)
        if ends <= now:
            store.accounts.delete_key(key_id)
            revoked.append(key_id)
        else:
            store.accounts.expire_key(key_id, ends)
            expiring[key_id] = ends
    if account_item(store, account_id).master_key_id != new.key_id:
        # A rotation that started after this one's claim replaced the new key already (and ended
        # it): printing it would hand out a key that does not work.
        raise errors.RotationSuperseded(account_id)
    return Rotation(account_id, new.plaintext, new.key_id, revoked, expiring)
