"""Listings (JSONBin v3): the account's collections (`GET /v3/c`), and the bins of one collection, or
of none (`GET /v3/c/<id>/bins[/<lastBinId>]`, `GET /v3/c/uncategorized/bins[/<lastBinId>]`).

Master keys only, as in JSONBin; each listing spends one of the account's requests.

Bins are listed 10 a page, newest first unless ascending is asked, from an index (see
docs/architecture.md, "Listings"). The next page continues after the last bin of the previous one:
its position is the bin's creation time and id, which never change, so a page never repeats a bin
and never skips one that existed throughout. A bin created or deleted a moment ago may still be
missing from (or still shown in) a listing: the index is eventually consistent. If the bin given as
the last one no longer exists, the listing cannot tell where it was: 404, and the client continues
from the bin before it.
"""

from binstore import errors
from binstore.access import Credentials, acting_account, owned
from binstore.allowance import spending
from binstore.bin_requests import NOT_FOUND
from binstore.ids import is_object_id
from binstore.model import Collection, ListedBin
from binstore.storage import Store

PAGE_SIZE = 10
# GET /v3/c answers every collection in one answer, as JSONBin does; this bounds its size (a Lambda
# answer holds 6 MB) and its cost.
MAX_LISTED_COLLECTIONS = 1000
ASCENDING, DESCENDING = "ascending", "descending"
UNCATEGORIZED = "uncategorized"  # the collection id that lists the bins of no collection


def sort_order(value: str | None) -> bool:
    """Whether X-Sort-Order asks for ascending order (descending when absent)."""
    if value is None:
        return False
    normalized = value.strip().lower()
    if normalized not in (ASCENDING, DESCENDING):
        raise errors.InvalidSortOrder()
    return normalized == ASCENDING


def _spend(store: Store, account_id: str) -> None:
    with spending(store.settings.buy_requests_at):
        store.charges.spend(account_id)


def list_collections(store: Store, credentials: Credentials) -> list[Collection]:
    account = acting_account(store, credentials)
    collections = store.collections.of_owner(account.account_id, MAX_LISTED_COLLECTIONS)
    _spend(store, account.account_id)
    return collections


def list_bins(
    store: Store,
    credentials: Credentials,
    collection_id: str,
    last_bin_id: str | None = None,
    ascending: bool = False,
) -> list[ListedBin]:
    """One page of the bins of a collection (or, with `uncategorized`, of no collection)."""
    uncategorized = collection_id == UNCATEGORIZED
    if not uncategorized and not is_object_id(collection_id):
        raise errors.InvalidCollectionId()
    if last_bin_id is not None and not is_object_id(last_bin_id):
        raise errors.InvalidBinId()
    account = acting_account(store, credentials)
    listed_collection = None if uncategorized else collection_id
    if listed_collection is not None:
        owned(store.collections.get(listed_collection), account, errors.CollectionNotFound())
    last = None
    if last_bin_id is not None:
        last = store.bins.get(last_bin_id)
        if last is None or last.owner_id != account.account_id or last.collection_id != listed_collection:
            raise errors.NotFound(NOT_FOUND)
    page = store.bins.listed(account.account_id, listed_collection, last, ascending, PAGE_SIZE)
    _spend(store, account.account_id)
    return page
