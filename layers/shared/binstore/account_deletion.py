"""Deleting an account with everything it owns (binctl account delete): the operator's alone.

The steps go in an order that stays safe wherever a crash stops it, and that a run again finishes:

1. Its keys, master and access: no request acts for it any more. Then its allowance, set to 0:
   a public bin needs no key, but every read and write of one spends a request of its owner's, so
   from here on nothing is read or written for the account (a write already under way fails its
   commit's charge).
2. Its bins: each one's bodies (S3) and version rows, then its item. The item goes last, so a bin
   a crash left half deleted is still found, by its item, on the next run.
3. Its collections, then its schema docs.
4. Its usage logs.
5. Its allowance's shard items, then the account item itself: while it is there the account is
   found, and its deletion can be run again to the end.
6. Its keys once more: a master key rotation (binctl account rotate-key) that claimed the account
   between steps 1 and 5 left one; any later rotation finds no account to claim and withdraws its
   own key. (A crash between 5 and 6 leaves such a key behind, refused: its account is gone.)

Everything is found by consistent Scans rather than the indexes, which may lag a moment behind a
write: the bins table, the collections and schema docs tables and the keys table are each read once.
Each step deletes what it finds, and what is gone already is never found again, so a run again
deletes only what the last one left.
"""

from dataclasses import dataclass

from binstore.provisioning import account_item
from binstore.storage import Store


@dataclass
class DeletedAccount:
    """How much of each the deletion deleted (a run again counts only what it found left)."""

    keys: int = 0  # master and access
    bins: int = 0
    version_rows: int = 0
    bodies: int = 0  # record bodies, of every version
    collections: int = 0
    schema_docs: int = 0
    usage_log_objects: int = 0
    accounts: int = 0  # 1 once the account (its item and its allowance's shard items) is gone


def delete_account(store: Store, account_id: str) -> DeletedAccount:
    """Delete the account and everything it owns (see the module's docstring for the order)."""
    # Refuses a malformed or unknown id before anything is deleted. The account item alone: a run
    # cut short between step 5's two parts left it without its shards.
    account_item(store, account_id)
    deleted = DeletedAccount()
    _stop_every_request(store, account_id, deleted)
    for bin_id in store.bins.ids_owned_by(account_id):
        _delete_bin(store, bin_id, deleted)
    for collection_id in store.collections.collection_ids_owned_by(account_id):
        store.collections.remove(collection_id)
        deleted.collections += 1
    for schema_doc_id in store.collections.schema_doc_ids_owned_by(account_id):
        store.collections.remove_schema_doc(schema_doc_id)
        deleted.schema_docs += 1
    deleted.usage_log_objects = store.usage.delete_account_logs(account_id)
    store.accounts.delete_allowance_shards(account_id)
    store.accounts.delete_account_item(account_id)
    deleted.accounts = 1
    _delete_keys(store, account_id, deleted)  # step 6
    return deleted


@dataclass(frozen=True)
class Owned:
    """What the account owns that its deletion would find, as it stands."""

    keys: int
    bins: int
    collections: int
    schema_docs: int


def owned(store: Store, account_id: str) -> Owned:
    """What delete_account would find of the account, now (the same Scans)."""
    account_item(store, account_id)
    return Owned(
        len(store.accounts.key_ids_owned_by(account_id)),
        len(store.bins.ids_owned_by(account_id)),
        len(store.collections.collection_ids_owned_by(account_id)),
        len(store.collections.schema_doc_ids_owned_by(account_id)),
    )


def _stop_every_request(store: Store, account_id: str, deleted: DeletedAccount) -> None:
    """Revoke every key of the account, then empty its allowance (which public bins spend)."""
    _delete_keys(store, account_id, deleted)
    store.accounts.set_allowance(account_id, 0)


def _delete_keys(store: Store, account_id: str, deleted: DeletedAccount) -> None:
    for key_id in store.accounts.key_ids_owned_by(account_id):
        store.accounts.delete_key(key_id)
        deleted.keys += 1


def _delete_bin(store: Store, bin_id: str, deleted: DeletedAccount) -> None:
    """A bin's bodies and version rows, then its item (so a crash leaves it findable)."""
    bodies = store.bodies.of_bin(bin_id)
    store.bodies.delete_many(bodies)
    rows = store.bins.version_rows(bin_id)
    store.bins.delete_version_rows(bin_id, rows)
    store.bins.remove(bin_id)
    deleted.bins += 1
    deleted.version_rows += len(rows)
    deleted.bodies += len(bodies)
