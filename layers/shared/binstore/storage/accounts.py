"""The accounts table and the keys table: who may act, and how many requests they have left."""

from binstore.model import Account, StoredKey
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import account_from, account_values, key_from, key_values, put_new_item, to_item


class AccountTables:
    def __init__(self, accounts_table: str, keys_table: str, clients: Clients):
        self.accounts_table = accounts_table
        self.keys_table = keys_table
        self._clients = clients

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
    def put_key(self, key: StoredKey, now: str) -> None:
        self._clients.dynamodb.put_item(**put_new_item(self.keys_table, "keyId", key_values(key, now))["Put"])

    @aws_call
    def delete_key(self, key: StoredKey) -> None:
        self._clients.dynamodb.delete_item(TableName=self.keys_table, Key=to_item({"keyId": key.key_id}))
