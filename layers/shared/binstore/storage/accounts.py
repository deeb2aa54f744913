"""The accounts table and the keys table: who may act, and how many requests they have left.

An account counts its access keys (`accessKeyCount`), and a key is made or deleted by one
transaction with that count, conditioned on the count the caller read: so concurrent requests can
never take an account past its limit. The keys table's index `byAccount` lists an account's keys
(ids, kinds, names and permissions; never their hashes).

An account's allowance is split across ALLOWANCE_SHARDS items (storage.charges): the account item
holds shard 0, and shard items `<accountId>#k` (marked `shardOf`) the others. Made together, in one
transaction; an account from before the split has the account item only, until binctl migrate
splits it (split_allowances).

The operator's binctl reads and changes accounts here too: a Scan lists them all, an ADD tops up an
allowance beside live traffic, and an account's deletion ends with its allowance and its item.
"""

import functools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from binstore import randomness
from binstore.model import ACCESS, Account, CommitConflict, IdempotentWrite, StoredKey
from binstore.storage.charges import (
    ALLOWANCE_SHARDS,
    SPEND_ATTEMPTS,
    AccountChange,
    Charges,
    pause_after_conflict,
    shard_key,
    split_allowance,
)
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import (
    account_from,
    account_values,
    key_expiry_value,
    key_from,
    key_values,
    put_new_item,
    shard_values,
    to_item,
)

# A split of an account's allowance that met a request spending from it reads it again, this many
# times, after short jittered pauses.
SPLIT_ATTEMPTS = 10
SPLIT_PAUSE_SECONDS = 0.01


KEYS_BY_ACCOUNT = "byAccount"
# binctl account list reads the accounts table this many items a page (DynamoDB ends a page at
# 1 MB first): a table of any size is read page after page, never at once.
LIST_PAGE_ITEMS = 1000


def _count_change(account: Account, count: int) -> AccountChange:
    """Set the account's access key count to `count`, if it still has the count it was read with
    (or still has none, for an account from before keys were counted)."""
    if account.access_key_count is None:
        return AccountChange("accessKeyCount = :count", "attribute_not_exists(accessKeyCount)", {":count": count})
    return AccountChange(
        "accessKeyCount = :count", "accessKeyCount = :seen", {":seen": account.access_key_count, ":count": count}
    )


class AccountTables:
    def __init__(self, accounts_table: str, keys_table: str, clients: Clients, charges: Charges):
        self.accounts_table = accounts_table
        self.keys_table = keys_table
        self._clients = clients
        self._charges = charges

    @aws_call
    def get(self, account_id: str) -> Account | None:
        """The account, with its account item's share of the allowance (see Account; `whole` for all of it)."""
        values = self._clients.get_item(self.accounts_table, {"accountId": account_id})
        return account_from(values) if values else None

    @aws_call
    def get_whole(self, account_id: str) -> Account | None:
        """The account with its exact requests left: every shard read (one more round trip)."""
        account = self.get(account_id)
        return account and self.whole(account)

    @aws_call
    def whole(self, account: Account) -> Account:
        """`account` with the exact sum of its shards as its requests left (one more round trip)."""
        if account.allowance_shards == 1:
            return account  # the account item holds it all
        return replace(account, requests_remaining=sum(self._charges.balances(account.account_id)))

    @aws_call
    def get_key(self, key_id: str) -> StoredKey | None:
        values = self._clients.get_item(self.keys_table, {"keyId": key_id})
        return key_from(values) if values else None

    @aws_call
    def put(self, account: Account, now: str) -> None:
        """A new account, its allowance split across its shards, in one transaction."""
        shares = split_allowance(account.requests_remaining)
        account_item = put_new_item(
            self.accounts_table, "accountId", account_values(account, now, shares[0], len(shares))
        )
        items = [account_item, *self._shard_items(account.account_id, shares, new=True)]
        self._clients.dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=uuid4().hex)

    def _shard_items(self, account_id: str, shares: list[int], new: bool = False) -> list[dict]:
        """Puts of the shard items other than the account item, each with its share (shares[1:]);
        `new`: each only if it does not exist yet."""
        puts = [shard_values(account_id, shard_key(account_id, k), share) for k, share in enumerate(shares) if k > 0]
        if new:
            return [put_new_item(self.accounts_table, "accountId", values) for values in puts]
        return [{"Put": {"TableName": self.accounts_table, "Item": to_item(values)}} for values in puts]

    def _allowance_items(self, account_id: str, shares: list[int], account_update: dict) -> list[dict]:
        """A transaction putting each shard item's share (shares[1:]) beside `account_update`, the
        Update of the account item (its own share, and the number of shards)."""
        account_item = {
            "Update": {
                "TableName": self.accounts_table,
                "Key": to_item({"accountId": account_id}),
                **account_update,
            }
        }
        return [account_item, *self._shard_items(account_id, shares)]

    @aws_call
    def set_allowance(self, account_id: str, total: int) -> None:
        """Set the account's requests left to `total` (the operator's), whatever it had."""
        shares = split_allowance(total)
        items = self._allowance_items(
            account_id,
            shares,
            {
                "UpdateExpression": "SET requestsRemaining = :share, allowanceShards = :shards",
                "ConditionExpression": "attribute_exists(accountId)",
                "ExpressionAttributeValues": to_item({":share": shares[0], ":shards": len(shares)}),
            },
        )
        self._clients.dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=uuid4().hex)

    @aws_call
    def add_allowance(self, account: Account, added: int, most: int | None = None) -> None:
        """Add `added` requests to the account's allowance (binctl account add-requests), exactly,
        beside requests spending from it.

        Each shard gets its share (as set_allowance spreads a total), so an account topped up from
        empty spends from all its shards again, not from the account item alone. Each share is an
        ADD, applied by DynamoDB to the item as it stands: a request spending meanwhile takes one
        from some shard, and neither write loses the other (never a read, then a write of a sum).
        The shares go in one transaction: all of them or none. Conditioned on each item existing
        (nothing made out of nothing), and on the account item having the shards `account` was read
        with (binctl migrate may split it meanwhile): CommitConflict then, to read it again.
        With `most`, each shard may end with at most its part of `most` (as set_allowance would
        spread it), so that adds made at the same moment cannot take the whole past `most` either:
        CommitConflict if one would.
        """
        if added < 0:
            raise ValueError("only a number of requests to add, never to take away")
        shares = split_allowance(added, account.allowance_shards)
        if account.allowance_shards > 1:
            same_shards, shards_value = "allowanceShards = :shards", {":shards": account.allowance_shards}
        else:
            same_shards, shards_value = "attribute_not_exists(allowanceShards)", {}

        ceilings = None if most is None else split_allowance(most, account.allowance_shards)

        def add(shard: int, condition: str, values: dict) -> dict:
            if ceilings is not None:
                condition += " AND requestsRemaining <= :ceiling"
                values = {**values, ":ceiling": ceilings[shard] - shares[shard]}
            return {
                "Update": {
                    "TableName": self.accounts_table,
                    "Key": to_item(shard_key(account.account_id, shard)),
                    "UpdateExpression": "ADD requestsRemaining :share",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_item({":share": shares[shard], **values}),
                }
            }

        items = [add(0, f"attribute_exists(accountId) AND {same_shards}", shards_value)]
        items += [add(shard, "attribute_exists(accountId)", {}) for shard in range(1, len(shares)) if shares[shard]]
        self._transact_beside_charges(items)

    def _transact_beside_charges(self, items: list[dict]) -> None:
        """Write `items` in one transaction. One cancelled because a request's charge held one of
        its items was not applied: it is sent again (a new token), as a refund is. botocore's own
        retries of one send keep its token, so DynamoDB applies it once however often it is sent."""
        dynamodb = self._clients.dynamodb
        for attempt in range(SPEND_ATTEMPTS):
            try:
                dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=uuid4().hex)
                return
            except dynamodb.exceptions.TransactionCanceledException as error:
                codes = {reason.get("Code") for reason in error.response.get("CancellationReasons", [])}
                if "ConditionalCheckFailed" in codes:
                    raise CommitConflict() from None
                if "TransactionConflict" not in codes or attempt == SPEND_ATTEMPTS - 1:
                    raise
                pause_after_conflict(attempt)

    def _write_beside_charges(self, write: Callable[..., dict], **params) -> dict:
        """Call `write` (a DynamoDB write of the accounts table's items) with `params`. DynamoDB
        refuses a write while a request's charge (a transaction) holds its item
        (TransactionConflictException, which botocore does not retry), without applying it: it is
        sent again, after a pause."""
        dynamodb = self._clients.dynamodb
        for attempt in range(SPEND_ATTEMPTS):
            try:
                return write(**params)
            except dynamodb.exceptions.TransactionConflictException:
                if attempt == SPEND_ATTEMPTS - 1:
                    raise
                pause_after_conflict(attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _update_account_item(self, account_id: str, update: str, values: dict, condition: str = "", **names) -> bool:
        """Apply `update` to the account item (never a shard item) if it exists and `condition`
        holds; False if not."""
        dynamodb = self._clients.dynamodb
        wanted = " AND ".join(
            filter(None, ["attribute_exists(accountId) AND attribute_not_exists(shardOf)", condition])
        )
        try:
            self._write_beside_charges(
                dynamodb.update_item,
                TableName=self.accounts_table,
                Key=to_item({"accountId": account_id}),
                UpdateExpression=update,
                ConditionExpression=wanted,
                ExpressionAttributeValues=to_item(values),
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    @aws_call
    def set_plan(self, account_id: str, plan: str) -> bool:
        """Put the account on `plan`, its requests left as they are; False if there is no such account."""
        return self._update_account_item(account_id, "SET #plan = :plan", {":plan": plan}, **{"#plan": "plan"})

    @aws_call
    def all_accounts(self) -> list[Account]:
        """Every account (never a shard item), oldest first, each with the sum of its shards as its
        requests left: one Scan of the table, page after page (binctl account list).

        Every item is read consistently, but not all at one instant: a busy account's sum mixes
        moments (AccountTables.get_whole reads one account's shards in one round trip)."""
        accounts: list[Account] = []
        held: dict[str, int] = defaultdict(int)
        items = self._clients.items("scan", TableName=self.accounts_table, ConsistentRead=True, Limit=LIST_PAGE_ITEMS)
        for values in items:
            if "shardOf" in values:
                held[values["shardOf"]] += int(values.get("requestsRemaining", 0))
            else:
                account = account_from(values)
                accounts.append(account)
                held[account.account_id] += account.requests_remaining
        whole = [replace(account, requests_remaining=held[account.account_id]) for account in accounts]
        return sorted(whole, key=lambda account: (account.created_at, account.account_id))

    @aws_call
    def delete_allowance_shards(self, account_id: str) -> None:
        """Delete the shard items of the account's allowance (its account item's share stays); the
        account's deletion, before its account item. A shard gone already stays gone."""
        self._clients.delete_items(
            self.accounts_table,
            [shard_key(account_id, shard) for shard in range(1, ALLOWANCE_SHARDS)],
            send=functools.partial(self._write_beside_charges, self._clients.dynamodb.batch_write_item),
        )

    @aws_call
    def delete_account_item(self, account_id: str) -> None:
        """Delete the account item: the last of an account's deletion, which finds the account by it."""
        self._write_beside_charges(
            self._clients.dynamodb.delete_item, TableName=self.accounts_table, Key=to_item({"accountId": account_id})
        )

    @aws_call
    def split_allowances(self) -> tuple[int, int]:
        """Split the allowance of accounts from before the split across their shards (binctl
        migrate); return how many were split, and how many were left unsplit (run it again). A
        Scan, for the operator's migration only.

        Each split is one transaction that moves a fixed number of requests off the account item
        (`requestsRemaining - moved`, conditioned on at least that many being there and on the
        account being still unsplit) into the new shard items: requests spent meanwhile stay
        spent, none is lost or made, and a busy account is split all the same. An account split
        already is left as it is, so running it twice splits nothing twice.
        """
        split = unsplit = 0
        accounts = self._clients.items(
            "scan",
            TableName=self.accounts_table,
            FilterExpression="attribute_not_exists(allowanceShards) AND attribute_not_exists(shardOf)",
            ProjectionExpression="accountId",
        )
        for account_id in [values["accountId"] for values in accounts]:
            outcome = self._split(account_id)
            split += outcome is True
            unsplit += outcome is False
        return split, unsplit

    def _split(self, account_id: str) -> bool | None:
        """Split one account's allowance: True once split, None if there was nothing to split (it
        is gone, or split meanwhile), False if every attempt met a transaction on the account."""
        dynamodb = self._clients.dynamodb
        for attempt in range(SPLIT_ATTEMPTS):
            values = self._clients.get_item(self.accounts_table, {"accountId": account_id})
            if values is None or "allowanceShards" in values:
                return None
            shares = split_allowance(int(values["requestsRemaining"]))
            moved = sum(shares[1:])
            # The account item keeps at least one of its share (if it had any): it is spent last,
            # and while it holds one, requests' early checks read nothing more.
            least = moved + min(shares[0], 1)
            items = self._allowance_items(
                account_id,
                shares,
                {
                    "UpdateExpression": "SET requestsRemaining = requestsRemaining - :moved, allowanceShards = :shards",
                    "ConditionExpression": "requestsRemaining >= :least AND attribute_not_exists(allowanceShards)",
                    "ExpressionAttributeValues": to_item({":moved": moved, ":least": least, ":shards": len(shares)}),
                },
            )
            try:
                dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=uuid4().hex)
                return True
            except dynamodb.exceptions.TransactionCanceledException:
                # Fewer requests than read (spent meanwhile), or a transaction held the item: again.
                time.sleep(randomness.uniform(0, SPLIT_PAUSE_SECONDS * (attempt + 1)))
        return False

    @aws_call
    def claim_master_key(self, account_id: str, seen: str | None, new: str) -> bool:
        """Make `new` the account's current master key, if its current one is still `seen` (None:
        it has none on record); False if another rotation changed it first, or there is no such
        account."""
        if seen is None:
            condition, values = "attribute_not_exists(masterKeyId)", {":new": new}
        else:
            condition, values = "masterKeyId = :seen", {":new": new, ":seen": seen}
        return self._update_account_item(account_id, "SET masterKeyId = :new", values, condition)

    @aws_call
    def put_key(self, key: StoredKey) -> None:
        """An account's master key, made with the account."""
        self._clients.dynamodb.put_item(**put_new_item(self.keys_table, "keyId", key_values(key))["Put"])

    @aws_call
    def expire_key(self, key_id: str, expires_at: datetime) -> None:
        """Give a key an expiry (a master key a rotation replaced), unless it is gone or has an
        earlier one already: an expiry never moves later."""
        dynamodb = self._clients.dynamodb
        try:
            dynamodb.update_item(
                TableName=self.keys_table,
                Key=to_item({"keyId": key_id}),
                UpdateExpression="SET expiresAt = :at",
                ConditionExpression="attribute_exists(keyId) AND (attribute_not_exists(expiresAt) OR expiresAt > :at)",
                ExpressionAttributeValues=to_item({":at": key_expiry_value(expires_at)}),
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass  # gone, or expiring sooner: it stays as it is

    @aws_call
    def delete_key(self, key_id: str) -> None:
        """Delete a key at once, whatever its kind, leaving the account's access key count as it is:
        a master key a rotation replaced, or a key of an account being deleted. (An access key the
        account's owner revokes goes through remove_access_key, which counts it off.)"""
        self._clients.dynamodb.delete_item(TableName=self.keys_table, Key=to_item({"keyId": key_id}))

    @aws_call
    def key_ids_owned_by(self, account_id: str) -> list[str]:
        """The ids of every key of the account, from a consistent Scan of the keys table: complete
        where the index byAccount may lag a key made a moment ago (an account's deletion)."""
        return self._clients.ids_owned_by(self.keys_table, "keyId", "accountId", account_id)

    @aws_call
    def keys_of(self, account_id: str) -> list[StoredKey]:
        """The account's keys, oldest id first, without their hashes. Read from an index: a key made
        a moment ago may be missing, and one deleted a moment ago still there (see docs/architecture.md)."""
        found = self._clients.items(
            "query",
            TableName=self.keys_table,
            IndexName=KEYS_BY_ACCOUNT,
            KeyConditionExpression="accountId = :account",
            ExpressionAttributeValues=to_item({":account": account_id}),
        )
        return [key_from({"secretHash": "", **values}) for values in found]

    def access_key_count(self, account: Account) -> int:
        """How many access keys the account has: its count, or, for an account from before keys
        were counted, as many as the index lists (the first key made or deleted then stores it)."""
        if account.access_key_count is not None:
            return account.access_key_count
        return sum(1 for key in self.keys_of(account.account_id) if key.kind == ACCESS)

    @aws_call
    def add_access_key(
        self, account: Account, key: StoredKey, idempotent: IdempotentWrite | None = None, charge: bool = True
    ) -> None:
        """Store a new access key and count it on the account (spending a request if `charge`)."""
        self._charges.commit(
            [put_new_item(self.keys_table, "keyId", key_values(key))],
            account.account_id,
            idempotent,
            key,
            account_change=_count_change(account, self.access_key_count(account) + 1),
            charge=charge,
        )

    @aws_call
    def remove_access_key(
        self, account: Account, key: StoredKey, idempotent: IdempotentWrite | None = None, charge: bool = True
    ) -> None:
        """Delete an access key, if it is still there, and count it off the account."""
        self._charges.commit(
            [
                {
                    "Delete": {
                        "TableName": self.keys_table,
                        "Key": to_item({"keyId": key.key_id}),
                        "ConditionExpression": "attribute_exists(keyId)",
                    }
                }
            ],
            account.account_id,
            idempotent,
            key,
            # The index may not list a key made a moment ago: never below 0.
            account_change=_count_change(account, max(self.access_key_count(account) - 1, 0)),
            charge=charge,
        )

    @aws_call
    def backfill_access_key_counts(self) -> int:
        """Count the access keys of accounts from before keys were counted (binctl migrate); return
        how many accounts were counted. A Scan, for the operator's migration only. An account that
        has a count keeps it (a key made or deleted since the upgrade counted from the index, as
        this does), so running it twice changes nothing twice."""
        counted = 0
        uncounted = self._clients.items(
            "scan",
            TableName=self.accounts_table,
            FilterExpression="attribute_not_exists(accessKeyCount) AND attribute_not_exists(shardOf)",
        )
        for account in map(account_from, uncounted):
            count = self.access_key_count(account)
            try:
                self._charges.commit([], account.account_id, account_change=_count_change(account, count), charge=False)
                counted += 1
            except CommitConflict:
                pass  # counted meanwhile, by a key made or deleted: that count is right
        return counted
