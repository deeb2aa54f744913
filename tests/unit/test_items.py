"""binstore.storage.items: each entity to a DynamoDB item and back, as storage writes and reads it."""

from datetime import UTC, datetime

import pytest
from binstore.model import Account, BinMeta, Collection, SchemaDoc, StoredKey
from binstore.storage.items import (
    account_from, account_values, bin_from, bin_values, collection_from, collection_values, from_item, key_from,
    key_values, schema_doc_from, schema_doc_values, to_item,
)

NOW = "2024-01-02T03:04:05.678Z"
ACCOUNT, OTHER = "0123456789abcdef01234567", "fedcba9876543210fedcba98"


def stored(values: dict) -> dict:
    """What a read of the item written from `values` gives back."""
    return from_item(to_item(values))


def test_to_item_leaves_out_none_and_types_each_value():
    assert to_item({"a": None, "b": 1, "c": "x", "d": True, "e": ["p", "q"]}) == {
        "b": {"N": "1"}, "c": {"S": "x"}, "d": {"BOOL": True}, "e": {"L": [{"S": "p"}, {"S": "q"}]}}
    assert from_item({"b": {"N": "1"}, "c": {"S": "x"}}) == {"b": 1, "c": "x"}


@pytest.mark.parametrize("account", [Account(ACCOUNT, "pro", 3125, allowance_shards=32, created_at=NOW),
                                     Account(ACCOUNT, "free", 0, created_at=NOW)])
def test_an_account_round_trips(account):
    # The account item holds its own share of the allowance, and how many shards there are.
    values = account_values(account, NOW, account.requests_remaining, account.allowance_shards)
    assert values["createdAt"] == NOW
    back = account_from(stored(values))
    assert back == account and type(back.requests_remaining) is int


def test_an_account_item_from_before_the_split_is_one_shard():
    values = account_values(Account(ACCOUNT, "pro", 7), NOW, 7, 1)
    del values["allowanceShards"]
    assert account_from(stored(values)).allowance_shards == 1


@pytest.mark.parametrize("key", [
    StoredKey("0123456789abcdef", ACCOUNT, "ab" * 32, created_at=NOW),
    StoredKey("0123456789abcdef", ACCOUNT, "ab" * 32, "access", frozenset({"update", "read"}), "ci", NOW),
    StoredKey("0123456789abcdef", ACCOUNT, "ab" * 32, created_at=NOW,
              expires_at=datetime(2024, 1, 2, 3, 9, 5, 678000, tzinfo=UTC)),
], ids=["master", "access", "rotated master"])
def test_a_key_round_trips(key):
    values = key_values(key)
    assert values["createdAt"] == NOW
    assert key_from(stored(values)) == key


def test_a_keys_expiry_is_stored_as_text_that_no_ttl_reads_and_none_not_at_all():
    """DynamoDB's TTL deletes an item only for a number in its TTL attribute: a text never is one."""
    rotated = StoredKey("k" * 16, ACCOUNT, "h", expires_at=datetime(2024, 1, 2, 3, 9, 5, 678000, tzinfo=UTC))
    assert to_item(key_values(rotated))["expiresAt"] == {"S": "2024-01-02T03:09:05.678Z"}
    assert "expiresAt" not in to_item(key_values(StoredKey("k" * 16, ACCOUNT, "h")))


def test_a_keys_permissions_are_written_sorted_and_none_not_at_all():
    access = StoredKey("k" * 16, ACCOUNT, "h", "access", frozenset({"update", "create", "read"}))
    assert to_item(key_values(access))["permissions"] == {"L": [{"S": "create"}, {"S": "read"}, {"S": "update"}]}
    assert "permissions" not in to_item(key_values(StoredKey("k" * 16, ACCOUNT, "h")))


def test_a_key_without_kind_or_permissions_is_a_master_key():
    key = key_from({"keyId": "k" * 16, "accountId": ACCOUNT, "secretHash": "h"})
    assert (key.kind, key.permissions) == ("master", frozenset())


FULL_BIN = BinMeta(ACCOUNT, OTHER, False, 7, f"records/{ACCOUNT}/x.json", 3, OTHER, NOW, "2024-02-02T00:00:00.000Z",
                   "Game saves")
BARE_BIN = BinMeta(ACCOUNT, OTHER, True, 1, f"records/{ACCOUNT}/y.json", 0, None, NOW, NOW)


@pytest.mark.parametrize("meta", [FULL_BIN, BARE_BIN], ids=["every attribute", "no collection, no name"])
def test_a_bin_round_trips(meta):
    back = bin_from(stored(bin_values(meta)))
    assert back == meta
    assert type(back.revision) is int and type(back.version_count) is int and type(back.private) is bool


def test_a_bins_none_attributes_are_not_written_and_read_back_as_defaults():
    item = to_item(bin_values(BARE_BIN))
    assert "collectionId" not in item and "name" not in item
    assert item["private"] == {"BOOL": True} and item["versionCount"] == {"N": "0"}
    values = stored(bin_values(BARE_BIN))
    del values["versionCount"]
    assert bin_from(values).version_count == 0


def test_a_new_collection_round_trips_without_a_schema_doc():
    collection = Collection(ACCOUNT, OTHER, "People", NOW)
    assert collection_from(stored(collection_values(collection))) == collection


def test_a_collections_schema_doc_is_not_written_with_it_but_read_when_attached():
    attached = Collection(ACCOUNT, OTHER, "People", NOW, schema_doc_id=OTHER, schema_json='{"type":"object"}',
                          schema_revision=4)
    assert collection_values(attached) == collection_values(Collection(ACCOUNT, OTHER, "People", NOW))
    read = collection_from(stored({**collection_values(attached), "schemaDocId": OTHER,
                                   "schema": '{"type":"object"}', "schemaRevision": 4}))
    assert read == attached and type(read.schema_revision) is int


def test_a_collection_item_missing_optional_attributes_reads_as_defaults():
    collection = collection_from({"collectionId": ACCOUNT, "ownerId": OTHER})
    assert (collection.name, collection.created_at, collection.schema_doc_id, collection.schema_json,
            collection.schema_revision) == ("", "", None, None, 0)


def test_a_new_schema_doc_round_trips():
    doc = SchemaDoc(ACCOUNT, OTHER, "Users", '{"type":"object"}', NOW, revision=3)
    back = schema_doc_from(stored(schema_doc_values(doc)))
    assert back == doc and type(back.revision) is int


def test_a_schema_docs_collections_are_not_written_with_it_but_read_when_listed():
    doc = SchemaDoc(ACCOUNT, OTHER, "Users", "{}", NOW, 2, frozenset({OTHER}))
    assert "collectionIds" not in schema_doc_values(doc)
    assert schema_doc_from(stored({**schema_doc_values(doc), "collectionIds": {OTHER}})) == doc  # a string set


def test_a_schema_doc_item_missing_optional_attributes_reads_as_defaults():
    doc = schema_doc_from({"schemaDocId": ACCOUNT, "ownerId": OTHER, "schema": "{}"})
    assert (doc.name, doc.created_at, doc.revision, doc.collection_ids) == ("", "", 1, frozenset())
