"""Access keys (JSONBin v3 `/v3/a`): keys that may do only some of create, read, update and delete
to their account's bins. Made, listed and deleted with the master key alone.

An account has at most MAX_ACCESS_KEYS, as on JSONBin; the limit holds under concurrent requests
(storage.accounts counts them in the same transaction). A key's secret is shown once, when it is
made: only its hash is stored, so, unlike JSONBin's, the list cannot show the keys themselves.

Over HTTP making and listing keys spends one of the account's requests, as every JSONBin request
does, and deleting one spends none (see delete_access_key); binctl (the operator, `charged=False`)
runs the same code and spends none.
"""

import re
from dataclasses import dataclass

from binstore import errors
from binstore.access import (
    ACCESS,
    PERMISSIONS,
    Credentials,
    acting_account,
    authenticate,
    identify,
    valid_key,
)
from binstore.allowance import spending
from binstore.keys import ParsedKey, generate_key, parse_key
from binstore.model import Account, IdempotentWrite, StoredKey, utc_now
from binstore.names import required_name
from binstore.plans import MAX_ACCESS_KEYS
from binstore.records import parse_record
from binstore.retries import retry_on_conflict
from binstore.storage import Store

MAX_NAME_LENGTH = 32
_KEY_ID = re.compile(r"[0-9a-f]{16}")
# A permissions body is a few dozen bytes; nothing larger is parsed.
_MAX_PERMISSIONS_BYTES = 1024

CREATE_KEY_REQUIRED = "You need to pass X-Master-Key in the header to create an Access Key"
LIST_KEY_REQUIRED = "You need to pass X-Master-Key in the header to fetch a list of Access Keys"
DELETE_KEY_REQUIRED = "You need to pass X-Master-Key in the header to delete the access key"


@dataclass(frozen=True)
class NewAccessKey:
    key: StoredKey
    plaintext: str  # shown once, never stored


def permissions_from_body(body: bytes) -> frozenset[str]:
    """`{"bins": {"create": true, "read": true, ...}}` -> {"create", "read"}; a permission left out is
    false."""
    if len(body) > _MAX_PERMISSIONS_BYTES:
        raise errors.InvalidAccessKeyPermissions()
    try:
        value = parse_record(body).value
    except errors.BlankBin:
        raise errors.InvalidAccessKeyPermissions() from None  # not a bin: say what the body should be
    bins = value.get("bins") if isinstance(value, dict) and set(value) == {"bins"} else None
    if not isinstance(bins, dict) or not set(bins) <= set(PERMISSIONS):
        raise errors.InvalidAccessKeyPermissions()
    if not all(isinstance(granted, bool) for granted in bins.values()):
        raise errors.InvalidAccessKeyPermissions()
    return frozenset(name for name, granted in bins.items() if granted)


def key_permissions(key: StoredKey) -> dict:
    """A key's permissions as JSONBin shows them: every permission, true or false."""
    return {"bins": {name: name in key.permissions for name in PERMISSIONS}}


def _account(store: Store, credentials: Credentials, key_required: str, charged: bool) -> Account:
    if charged:
        return acting_account(store, credentials, key_required=key_required)
    return authenticate(store, credentials, key_required=key_required)


def create_access_key(
    store: Store,
    credentials: Credentials,
    name: str | None,
    permissions: frozenset[str],
    idempotent: IdempotentWrite | None = None,
    charged: bool = True,
) -> NewAccessKey:
    name = required_name(name, MAX_NAME_LENGTH, errors.AccessKeyNameRequired(), errors.AccessKeyNameTooLong())
    if not permissions <= set(PERMISSIONS):
        raise errors.InvalidAccessKeyPermissions()
    if not permissions:
        raise errors.AccessKeyWithoutPermission()  # a key that may do nothing would only take a slot
    made_at = utc_now()

    def create() -> NewAccessKey:
        account = _account(store, credentials, CREATE_KEY_REQUIRED, charged)
        if store.accounts.access_key_count(account) >= MAX_ACCESS_KEYS:
            raise errors.TooManyAccessKeys(MAX_ACCESS_KEYS)
        generated = generate_key(account.account_id)
        key = StoredKey(generated.key_id, account.account_id, generated.secret_hash, ACCESS, permissions, name, made_at)
        store.accounts.add_access_key(account, key, idempotent, charge=charged)
        return NewAccessKey(key, generated.plaintext)

    return retry_on_conflict(store, create)


def create_access_key_as_asked(
    store: Store,
    credentials: Credentials,
    name: str | None,
    body: bytes,
    idempotent: IdempotentWrite | None = None,
) -> NewAccessKey:
    """POST /v3/a: the master key is checked before the name and the permissions are looked at."""
    authenticate(store, credentials, key_required=CREATE_KEY_REQUIRED)
    return create_access_key(store, credentials, name, permissions_from_body(body), idempotent)


def list_access_keys(store: Store, credentials: Credentials, charged: bool = True) -> list[StoredKey]:
    """The account's access keys (not its master key), oldest first."""
    account = _account(store, credentials, LIST_KEY_REQUIRED, charged)
    keys = [key for key in store.accounts.keys_of(account.account_id) if key.kind == ACCESS]
    if charged:
        with spending(store.settings.buy_requests_at):
            store.charges.spend(account.account_id)
    return sorted(keys, key=lambda key: (key.created_at, key.key_id))


EITHER_KEY_REQUIRED = "You need to pass X-Master-Key or X-Access-Key in the header"


@dataclass(frozen=True)
class KeyDescription:
    account: Account
    key: StoredKey
    access_key_count: int  # the account's access keys


def describe_key(store: Store, credentials: Credentials) -> KeyDescription:
    """The calling key and its account (our extension, GET /v3/me): what the console and operators
    need to know of a key, which JSONBin shows only in its dashboard. Any valid key may ask, and it
    spends no request, so an account with none left can still see that it has none."""
    if credentials.kind is None:
        raise errors.KeyRequired(EITHER_KEY_REQUIRED)
    account, key = identify(store, credentials)
    # Its exact requests left: every shard of the allowance read.
    return KeyDescription(store.accounts.whole(account), key, store.accounts.access_key_count(account))


def delete_access_key(
    store: Store,
    credentials: Credentials,
    key_id: str,
    idempotent: IdempotentWrite | None = None,
    whole_key: ParsedKey | None = None,
) -> StoredKey:
    """Delete an access key of the account, named by its id (`accessKeyId`).

    Every request after this refuses the key. A key of another account, or a master key, is not
    found, as a key that does not exist. It spends no request: a leaked key spends its account's
    requests, and the owner must be able to revoke it when it has spent them all (one of our
    differences from JSONBin, which charges every request).
    """
    if _KEY_ID.fullmatch(key_id) is None:
        raise errors.InvalidAccessKeyId()

    def delete() -> StoredKey:
        account = authenticate(store, credentials, key_required=DELETE_KEY_REQUIRED)
        stored = store.accounts.get_key(key_id)
        if stored is None or stored.kind != ACCESS or stored.account_id != account.account_id:
            raise errors.AccessKeyNotFound()
        if whole_key is not None and not valid_key(whole_key, stored, ACCESS):
            raise errors.AccessKeyNotFound()  # the key's id with another secret: not this key
        store.accounts.remove_access_key(account, stored, idempotent, charge=False)
        return stored

    return retry_on_conflict(store, delete)


def revoke_access_key(store: Store, credentials: Credentials, key_ref: str) -> StoredKey:
    """binctl key revoke: the key named by its id or by the whole key, which is all an operator
    may hold of a leaked one. Never over HTTP, where a key in the path would be in every log."""
    whole_key = parse_key(key_ref) if "." in key_ref else None
    key_id = whole_key.key_id if whole_key is not None else key_ref
    return delete_access_key(store, credentials, key_id, whole_key=whole_key)
