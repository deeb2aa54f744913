"""Upgrading stored data to what this version reads (binctl migrate), after a deploy.

Each step is idempotent and safe beside live traffic: run it again after a failure, or twice.
- Bins stored before listings are put into their listing (the bins table's index byListing).
- Accounts made before access keys were counted get their count (the limit of 4 holds from then on).
- Accounts made before the allowance was split across shards are split (storage.charges): until
  then they work, but their requests meet on one item and most charges take two more round trips.
"""

from binstore.storage import Store


def migrate(store: Store) -> dict:
    listed = store.bins.backfill_listings()
    counted = store.accounts.backfill_access_key_counts()
    split, unsplit = store.accounts.split_allowances()
    return {
        "binsListed": listed,
        "accountsCounted": counted,
        "allowancesSplit": split,
        # Accounts so busy that every attempt met a request: run binctl migrate again.
        "allowancesLeftUnsplit": unsplit,
    }
