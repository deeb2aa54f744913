"""Storage: every AWS call the functions make, and the only code that knows of boto3.

DynamoDB holds accounts, keys, bin metadata, versions, collections and schema docs; S3 holds record
bodies, and the usage logs the delivery pipeline wrote of each request. A Store groups the tables
by aggregate (accounts and keys, bins and their versions, collections and schema docs) around one
charged-transaction primitive (charges), beside the record bodies and the usage logs. Whatever AWS
raises leaves a Store as one of binstore.model's errors.

Clients are made once per Store, on first use, and each function makes one Store per container.
"""

import time
from typing import Any

from binstore.model import Context, IdempotentWrite, RecordedCommit
from binstore.settings import Settings
from binstore.storage.accounts import AccountTables
from binstore.storage.bins import BinTables
from binstore.storage.bodies import RecordBodies
from binstore.storage.charges import Charges
from binstore.storage.clients import Clients, aws_call
from binstore.storage.collections import CollectionTables
from binstore.storage.context import read_context
from binstore.storage.items import recorded_commit_from, recorded_commit_key
from binstore.storage.usage import UsageLogs


class Store:
    def __init__(self, settings: Settings, dynamodb=None, s3=None):
        self.settings = settings
        self.clients = Clients(dynamodb, s3)
        self.charges = Charges(settings.accounts_table, self.clients, settings.idempotency_table)
        self.accounts = AccountTables(settings.accounts_table, settings.keys_table, self.clients, self.charges)
        self.bins = BinTables(settings.bins_table, settings.bin_versions_table, self.clients, self.charges)
        self.collections = CollectionTables(
            settings.collections_table, settings.schema_docs_table, self.clients, self.charges
        )
        self.bodies = RecordBodies(settings.records_bucket, self.clients)
        self.usage = UsageLogs(settings.usage_logs_bucket, self.clients)

    @classmethod
    def from_environment(cls, needed: tuple[str, ...] | None = None) -> "Store":
        return cls(Settings.from_environment(needed=needed))

    @property
    def dynamodb(self):
        return self.clients.dynamodb

    @property
    def s3(self):
        return self.clients.s3

    @aws_call
    def read_context(self, bin_id: str | None, key_id: str | None, account_id: str | None) -> Context:
        """The bin, and the key and account named by the caller's key, in one round trip (the
        account with its account item's share of the allowance: see Account)."""
        return read_context(self.clients.dynamodb, self.settings, bin_id, key_id, account_id)

    @aws_call
    def recorded_commit(self, write: IdempotentWrite) -> RecordedCommit | None:
        """What an idempotent write committed, if it ever did (and its record has not expired)."""
        values = self.clients.get_item(self.settings.idempotency_table, recorded_commit_key(write.record_id))
        # DynamoDB's TTL deletes an expired item some time after it expires: until then, it is gone.
        if not values or int(values["expiration"]) <= time.time():
            return None
        return recorded_commit_from(values)

    def idempotency_persistence(self) -> Any:
        """Powertools' idempotency records, in the idempotency table, on this Store's DynamoDB client."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(table_name=self.settings.idempotency_table, boto3_client=self.clients.dynamodb)


__all__ = ["Store"]
