"""What handler tests set up in a Store and read back from it: accounts with their keys, the records
and bodies stored. The Store itself (moto) is conftest.py's `store` fixture."""

import json

from binstore import access_keys, bins, collections, provisioning, schema_docs
from binstore.access import Credentials
from binstore.storage import Store
from binstore.storage.bodies import bin_prefix

# A well-formed id no bin, collection or schema doc has.
UNKNOWN_ID = "0123456789abcdef01234567"
# A well-formed key no account has.
UNKNOWN_KEY = "0" * 24 + "." + "0" * 16 + "." + "A" * 43


class Account:
    """An account made as binctl makes one, with helpers to create what a test needs as its owner."""

    def __init__(self, store: Store, plan: str, requests: int | None = None):
        created = provisioning.create_account(store, plan, requests)
        self.store = store
        self.account_id = created.account.account_id
        self.master_key = created.master_key

    @property
    def credentials(self) -> Credentials:
        return Credentials(master_key=self.master_key)

    def create_bin(self, record=None, private: bool = True, collection_id: str | None = None,
                   name: str | None = None) -> str:
        body = json.dumps({"sample": "Hello World"} if record is None else record).encode()
        return bins.create_bin(self.store, self.credentials, body, private, name, collection_id).bin.bin_id

    def create_schema_doc(self, schema, name: str = "Schema") -> str:
        body = json.dumps(schema).encode()
        return schema_docs.create_schema_doc(self.store, self.credentials, name, body).schema_doc_id

    def create_collection(self, schema_doc_id: str | None = None, name: str = "Collection") -> str:
        collection_id = collections.create_collection(self.store, self.credentials, name).collection_id
        if schema_doc_id is not None:
            collections.attach_schema_doc(self.store, self.credentials, collection_id, schema_doc_id)
        return collection_id

    def create_access_key(self, *permissions: str) -> str:
        return access_keys.create_access_key(
            self.store, self.credentials, "test", frozenset(permissions), charged=False
        ).plaintext

    @property
    def requests_remaining(self) -> int:
        return self.store.accounts.get_whole(self.account_id).requests_remaining

    def set_requests(self, remaining: int) -> None:
        """Set the allowance directly, as after the setup a test needed (which spent requests)."""
        self.store.accounts.set_allowance(self.account_id, remaining)

    def shards(self) -> list[int]:
        """What each shard of its allowance holds (storage.charges)."""
        return self.store.charges.balances(self.account_id)

    def as_from_before_the_split(self, remaining: int) -> None:
        """Store it as an account made before the allowance was split: one item holds it all."""
        table = self.store.settings.accounts_table
        for shard in range(1, len(self.shards())):
            self.store.dynamodb.delete_item(TableName=table, Key={"accountId": {"S": f"{self.account_id}#{shard}"}})
        self.store.dynamodb.update_item(
            TableName=table, Key={"accountId": {"S": self.account_id}},
            UpdateExpression="SET requestsRemaining = :n REMOVE allowanceShards",
            ExpressionAttributeValues={":n": {"N": str(remaining)}})


def master(account: Account) -> dict:
    """The headers of a request made with the account's master key (as API Gateway passes them: lower case)."""
    return {"x-master-key": account.master_key}


def stored_record(store: Store, bin_id: str, version: int | None = None):
    """A bin's latest record (or kept version), as the operator reads it: no key, no charge."""
    return json.loads(provisioning.operator_read(store, bin_id, version).json_text)


def body_keys(store: Store, bin_id: str) -> list[str]:
    """The S3 keys of every record body stored for a bin."""
    listing = store.s3.list_objects_v2(Bucket=store.settings.records_bucket, Prefix=bin_prefix(bin_id))
    return sorted(item["Key"] for item in listing.get("Contents", []))
