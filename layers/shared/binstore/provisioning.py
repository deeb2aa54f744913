"""Provisioning, the operator's side: accounts and their master keys.

Accounts exist only through binctl (there is no sign-up route). Making an account spends none of
its requests. Access keys, bins, collections and schema docs are made through the API's own code
(binstore.access_keys, .bins, .collections, .schema_docs), whether over HTTP or from binctl.
"""

from dataclasses import dataclass

from binstore import errors
from binstore.access import MASTER, PERMISSIONS
from binstore.ids import is_object_id, new_id
from binstore.keys import generate_key
from binstore.model import Account, BinMeta, StoredKey, utc_now
from binstore.plans import PLANS
from binstore.storage import Store


@dataclass(frozen=True)
class NewAccount:
    account: Account
    master_key: str  # shown once, never stored


def create_account(store: Store, plan_name: str, requests: int | None = None) -> NewAccount:
    plan = PLANS[plan_name]
    if requests is not None and requests < 0:
        raise ValueError("requests must not be negative")
    now = utc_now()
    account = Account(new_id(), plan.name, plan.default_requests if requests is None else requests)
    store.accounts.put(account, now)
    key = generate_key(account.account_id)
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
