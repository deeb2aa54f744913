"""The accounts table and the keys table: who may act, and how many requests they have left.

An account counts its access keys (`accessKeyCount`), and a key is made or deleted by one
transaction with that count, conditioned on the count the caller read: so concurrent requests can
never take an account past its limit. The keys table's index `byAccount` lists an account's keys
(ids, kinds, names and permissions; never their hashes).
"""

from binstore.model import ACCESS, Account, CommitConflict, IdempotentWrite, StoredKey
from binstore.storage.charges import AccountChange, Charges
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import (
    account_from,
    account_values,
    key_from,
    key_values,
    put_new_item,
    to_item,
)

KEYS_BY_ACCOUNT = "byAccount"


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
        values = self._clients.get_item(self.accounts_table, {"accountId": account_id})
        return account_from(values) if values else None

    @aws_call
    def get_key(self, key_id: str) -> StoredKey | None:
        values = self._clients.get_item(self.keys_table, {"keyId": key_id})
        return key_from(values) if values else None

    @aws_call
    def put(self, account: Account, now: str) -> None:
        self._clients.dynamodb.put_item(
            **put_new_item(self.accounts_table, "accountId", account_values(account, now))["Put"]
        )

    @aws_call
    def put_key(self, key: StoredKey) -> None:
        """An account's master key, made with the account."""
        self._clients.dynamodb.put_item(**put_new_item(self.keys_table, "keyId", key_values(key))["Put"])

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
            "scan", TableName=self.accounts_table, FilterExpression="attribute_not_exists(accessKeyCount)"
        )
        for account in map(account_from, uncounted):
            count = self.access_key_count(account)
            try:
                self._charges.commit([], account.account_id, account_change=_count_change(account, count), charge=False)
                counted += 1
            except CommitConflict:
                pass  # counted meanwhile, by a key made or deleted: that count is right
        return counted
