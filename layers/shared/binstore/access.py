"""Who may do what: X-Master-Key and X-Access-Key, checked the same way on every route.

A master key may do anything to its account's bins, collections and schema docs. An access key
belongs to an account too, but may only do to that account's bins what it was granted (create,
read, update, delete), and nothing else. A caller without a key may read and update public bins.
Which key is which is stored with its hash, so a master key offered as X-Access-Key (or the
reverse) is refused like an unknown one. So is a master key past the expiry a rotation gave it
(binctl account rotate-key): it works until then, for clients to switch to the new key.

JSONBin words the same refusal differently on each route; a BinRoute carries one route's texts.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from binstore import attribution, errors, model
from binstore.allowance import check_allowance
from binstore.keys import ParsedKey, key_matches, parse_key
from binstore.model import ACCESS, MASTER, Account, BinMeta, StoredKey
from binstore.storage import Store

CREATE, READ, UPDATE, DELETE = "create", "read", "update", "delete"
PERMISSIONS = (CREATE, READ, UPDATE, DELETE)

INVALID_MASTER_KEY = "Invalid X-Master-Key provided"


@dataclass(frozen=True)
class Credentials:
    master_key: str | None = None  # X-Master-Key
    access_key: str | None = None  # X-Access-Key

    @property
    def kind(self) -> str | None:
        """Which key the caller presented; the master key wins if both are."""
        if self.master_key is not None:
            return MASTER
        return ACCESS if self.access_key is not None else None

    def parsed(self) -> ParsedKey | None:
        presented = self.master_key if self.master_key is not None else self.access_key
        return parse_key(presented) if presented is not None else None


@dataclass(frozen=True)
class BinRoute:
    """What one route on an existing bin requires, and JSONBin's words for each refusal."""

    action: str | None  # the permission an access key needs; None: master keys only
    key_required: str  # no key, where one is needed
    invalid_key: str  # a key that is unknown, revoked, of the wrong kind, or of another account
    not_found: str
    public_without_key: bool = False  # whether a caller without a key may use it on a public bin

    def invalid(self, credentials: Credentials) -> errors.InvalidKey:
        if credentials.kind == ACCESS:
            return errors.InvalidKey(self.invalid_key.replace("X-Master-Key", "X-Access-Key"))
        return errors.InvalidKey(self.invalid_key)


def in_force(stored: StoredKey, now: datetime) -> bool:
    """Whether a stored key is accepted at `now`: until its expiry, if it has one."""
    return stored.expires_at is None or now < stored.expires_at


def valid_key(parsed: ParsedKey | None, stored: StoredKey, kind: str | None, now: datetime | None = None) -> bool:
    """Whether the presented key is the stored one, of the kind it was presented as, and in force at
    `now` (the domain's clock, model.now, if None). Every caller refuses a key this finds invalid as
    it refuses an unknown key: an expired key is told apart from no other."""
    if parsed is None or stored.kind != kind:
        return False
    return in_force(stored, model.now() if now is None else now) and key_matches(
        parsed, stored.account_id, stored.secret_hash
    )


def _check_permission(stored: StoredKey, action: str | None) -> None:
    if stored.kind == ACCESS and action not in stored.permissions:
        raise errors.PermissionDenied(str(action))  # unreachable with None: callers refuse access keys first


def authorise_bin(
    route: BinRoute, bin: BinMeta, credentials: Credentials, parsed: ParsedKey | None, stored: StoredKey | None
) -> bool:
    """Check the caller may use `route` on `bin`; return whether it presented the owner's key.

    `parsed` is the caller's key as parsed once per request (None if absent or malformed); `stored`
    is the key its key id names (read with the bin, in one round trip).
    """
    if credentials.kind is None:
        if bin.private or not route.public_without_key:
            raise errors.KeyRequired(route.key_required)
        # In the owner's usage log if it succeeds (binstore.usage).
        attribution.attribute(bin.owner_id, bin.bin_id, by_key=False)
        return False
    if credentials.kind == ACCESS and route.action is None:
        raise route.invalid(credentials)  # a route JSONBin opens to master keys only
    # A key, when given, must be valid and the owner's, even for a public bin.
    if stored is None or not valid_key(parsed, stored, credentials.kind) or stored.account_id != bin.owner_id:
        raise route.invalid(credentials)
    attribution.attribute(bin.owner_id, bin.bin_id)  # one of its keys: in its usage log, refused or not
    _check_permission(stored, route.action)
    return True


KEY_REQUIRED = "You need to pass X-Master-Key in the header"


def identify(store: Store, credentials: Credentials) -> tuple[Account, StoredKey]:
    """The account and the key of a caller who presented a key (of either kind): both checked."""
    invalid = errors.InvalidAccessKey() if credentials.kind == ACCESS else errors.InvalidKey(INVALID_MASTER_KEY)
    parsed = credentials.parsed()
    if parsed is None:
        raise invalid  # absent or malformed: no lookup needed
    context = store.read_context(None, parsed.key_id, parsed.account_id)
    if context.key is None or not valid_key(parsed, context.key, credentials.kind):
        raise invalid
    if context.account is None:
        raise errors.InvalidKey(INVALID_MASTER_KEY)
    attribution.attribute(context.account.account_id)
    return context.account, context.key


def require_key(credentials: Credentials, action: str | None = None, key_required: str = KEY_REQUIRED) -> None:
    """Refuse a request without the kind of key the route needs (see authenticate), before anything
    else of the request is looked at."""
    if credentials.kind is None or (credentials.kind == ACCESS and action is None):
        raise errors.KeyRequired(key_required)


def authenticate(
    store: Store, credentials: Credentials, action: str | None = None, key_required: str = KEY_REQUIRED
) -> Account:
    """The account acting, for routes on the account itself (create a bin, collections, schema docs).

    `action` is the bins permission an access key needs; None means only the master key will do.
    `key_required` is the route's words for a request without the key it needs.
    """
    require_key(credentials, action, key_required)
    account, key = identify(store, credentials)
    _check_permission(key, action)
    return account


def acting_account(
    store: Store, credentials: Credentials, action: str | None = None, key_required: str = KEY_REQUIRED
) -> Account:
    """The account acting (see authenticate), if it has a request left to spend."""
    # authenticate never returns a deleted account, so the not-found refusal cannot happen here.
    return check_allowance(
        authenticate(store, credentials, action, key_required),
        store.settings.buy_requests_at,
        errors.InvalidKey(INVALID_MASTER_KEY),
        store.accounts.whole,
    )


class _Owned(Protocol):
    @property
    def owner_id(self) -> str: ...


def owned[T: _Owned](item: T | None, account: Account, not_found: errors.BinStoreError) -> T:
    """`item` if it exists and belongs to `account`; otherwise `not_found` (never saying which)."""
    if item is None or item.owner_id != account.account_id:
        raise not_found
    return item
