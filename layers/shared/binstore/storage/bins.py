"""The bins table and the bin versions table: each bin's metadata, and the versions it keeps.

Every change to a bin is conditioned on its revision and bumps it, so a concurrent writer is never
lost (a versions reset, on its version generation: see BinMeta.version_generation); every change
spends one of the owner's requests in the same transaction (storage.charges).
"""

from dataclasses import replace
from uuid import uuid4

from binstore.model import BinMeta, IdempotentWrite, KeptVersion, ListedBin
from binstore.storage.charges import Charges
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import bin_from, bin_listing, bin_values, from_item, listed_at, put_new_item, to_item

BINS_BY_LISTING = "byListing"

# DynamoDB writes at most this many items per BatchWriteItem call.
# ... and at most this many per TransactWriteItems call.
_TRANSACTION_ITEMS = 100


def _is_version_of(row: KeptVersion, bin: BinMeta) -> bool:
    """Whether a version row is one of the bin's kept versions. Its number matters too: a reset made
    before generations existed left rows of generation 0 beyond a count it had set to 0."""
    return row.generation == bin.version_generation and row.version <= bin.version_count


def _generation(values: dict) -> int:
    return int(values.get("versionGeneration", 0))  # rows kept before generations existed are of 0


class BinTables:
    def __init__(self, bins_table: str, versions_table: str, clients: Clients, charges: Charges):
        self.bins_table = bins_table
        self.versions_table = versions_table
        self._clients = clients
        self._charges = charges

    @aws_call
    def get(self, bin_id: str) -> BinMeta | None:
        values = self._clients.get_item(self.bins_table, {"binId": bin_id})
        return bin_from(values) if values else None

    @aws_call
    def version_object_key(self, bin: BinMeta, version: int) -> str | None:
        """The body of the bin's version `version`, numbered as JSONBin does, or None if it has none.

        JSONBin numbers the base record 0 and the record each versioned update wrote 1, 2, ...; the
        latest record is the highest, `version_count`. The versions table keeps, in row k, the record
        a versioned update replaced: JSONBin's version k - 1. So version v < count is row v + 1 (rows
        stored before this numbering read the same way: no migration), and version count is the
        latest record itself.
        """
        if version == bin.version_count:
            return bin.object_key
        if not 0 <= version < bin.version_count:
            return None
        values = self._clients.get_item(self.versions_table, {"binId": bin.bin_id, "version": version + 1})
        if values is None or _generation(values) != bin.version_generation:
            return None  # a row a versions reset left behind: not a version of the bin any more
        return values["objectKey"]

    @aws_call
    def version_rows(self, bin_id: str) -> list[KeptVersion]:
        """Every version row of a bin, of every generation, oldest first."""
        pages = self._clients.dynamodb.get_paginator("query").paginate(
            TableName=self.versions_table,
            KeyConditionExpression="binId = :bin",
            ExpressionAttributeValues=to_item({":bin": bin_id}),
            ProjectionExpression="version, objectKey, versionGeneration",
            ConsistentRead=True,
        )
        return [
            KeptVersion(int(values["version"]), values["objectKey"], _generation(values))
            for page in pages
            for values in map(from_item, page.get("Items", []))
        ]

    def referenced_bodies(self, bin_id: str) -> set[str] | None:
        """The bodies the bin points at (its latest, its kept versions), as one consistent snapshot;
        an empty set if the bin is gone; None if it changed while being read.

        The bin is read before and after its version rows: every change that moves a reference
        (update, versions reset, delete) moves or removes its revision, so an unchanged revision means
        the rows read are the bin's own, never a mix of two states. A body no snapshot references is
        never referenced again: references only move from the latest to a new version row, from
        version 1 back to the latest (a reset), and to bodies uploaded since.
        """
        before = self.get(bin_id)
        rows = self.version_rows(bin_id)
        after = self.get(bin_id)
        if before is None and after is None:
            return set()  # deleted: nothing points at its bodies any more (nor at leftover version rows)
        if before is None or after is None or before.revision != after.revision:
            return None
        return {after.object_key, *(row.object_key for row in rows if _is_version_of(row, after))}

    def kept_versions(self, bin: BinMeta) -> list[KeptVersion]:
        """The versions the bin keeps (the rows of its generation, numbered up to its count), oldest first."""
        return [row for row in self.version_rows(bin.bin_id) if _is_version_of(row, bin)]

    @aws_call
    def count_listed(self, owner_id: str, collection_ids: list[str]) -> int:
        """How many bins the account's listings hold: its bins in no collection, and in each of
        `collection_ids` (its collections). From the index byListing: eventually consistent, and
        without bins stored before listings existed, until binctl migrate lists them."""
        counted = 0
        for collection_id in [None, *collection_ids]:
            params = {
                "TableName": self.bins_table,
                "IndexName": BINS_BY_LISTING,
                "KeyConditionExpression": "listing = :listing",
                "ExpressionAttributeValues": to_item({":listing": bin_listing(owner_id, collection_id)}),
                "Select": "COUNT",
            }
            while True:
                page = self._clients.dynamodb.query(**params)
                counted += page["Count"]
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return counted

    @aws_call
    def ids_owned_by(self, owner_id: str) -> list[str]:
        """The ids of every bin of the account, from a consistent Scan of the bins table: complete
        where the index may lag, and bins from before listings included (an account's deletion)."""
        return self._clients.ids_owned_by(self.bins_table, "binId", "ownerId", owner_id)

    @aws_call
    def remove(self, bin_id: str) -> None:
        """Delete a bin's item, spending nothing: the operator's, for an account being deleted (whose
        allowance is gone), after the bin's bodies and version rows. Gone already: nothing changes."""
        self._clients.dynamodb.delete_item(TableName=self.bins_table, Key=to_item({"binId": bin_id}))

    @aws_call
    def listed(
        self, owner_id: str, collection_id: str | None, after: BinMeta | None, ascending: bool, limit: int
    ) -> list[ListedBin]:
        """Up to `limit` of an account's bins of a collection (or of none), in creation order, past
        the bin `after`. From the index byListing: eventually consistent."""
        condition, values = "listing = :listing", {":listing": bin_listing(owner_id, collection_id)}
        if after is not None:
            condition += f" AND listedAt {'>' if ascending else '<'} :after"
            values[":after"] = listed_at(after.created_at, after.bin_id)
        page = self._clients.dynamodb.query(
            TableName=self.bins_table,
            IndexName=BINS_BY_LISTING,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            ScanIndexForward=ascending,
            Limit=limit,
        )
        return [
            ListedBin(values["binId"], bool(values["private"]), values["createdAt"], values.get("name"))
            for values in map(from_item, page.get("Items", []))
        ]

    @aws_call
    def backfill_listings(self) -> int:
        """Put bins stored before listings existed into theirs (binctl migrate); return how many.

        A Scan, for the operator's migration only. Each bin is updated on condition that it still
        exists and is not listed yet, so running it twice, or beside the API, changes nothing twice."""
        dynamodb, listed = self._clients.dynamodb, 0
        unlisted = self._clients.items(
            "scan", TableName=self.bins_table, FilterExpression="attribute_not_exists(listing)"
        )
        for meta in map(bin_from, unlisted):
            try:
                dynamodb.update_item(
                    TableName=self.bins_table,
                    Key=to_item({"binId": meta.bin_id}),
                    UpdateExpression="SET listing = :listing, listedAt = :listed_at",
                    ConditionExpression="attribute_exists(binId) AND attribute_not_exists(listing)",
                    ExpressionAttributeValues=to_item(
                        {
                            ":listing": bin_listing(meta.owner_id, meta.collection_id),
                            ":listed_at": listed_at(meta.created_at, meta.bin_id),
                        }
                    ),
                )
                listed += 1
            except dynamodb.exceptions.ConditionalCheckFailedException:
                pass  # deleted, or listed, meanwhile
        return listed

    def create(self, meta: BinMeta, idempotent: IdempotentWrite | None = None) -> None:
        """Store a new bin's metadata and spend one of its owner's requests."""
        self._charges.commit(
            [put_new_item(self.bins_table, "binId", bin_values(meta))], meta.owner_id, idempotent, meta
        )

    def _update_item(self, current: BinMeta, set_clause: str, values: dict) -> dict:
        """An update of the bin item, conditioned on its revision, that bumps the revision."""
        return {
            "Update": {
                "TableName": self.bins_table,
                "Key": to_item({"binId": current.bin_id}),
                "UpdateExpression": f"SET revision = :next_revision, {set_clause}",
                "ConditionExpression": "revision = :expected_revision",
                "ExpressionAttributeValues": to_item(
                    {
                        **values,
                        ":next_revision": current.revision + 1,
                        ":expected_revision": current.revision,
                    }
                ),
            }
        }

    @aws_call
    def commit_update(
        self,
        current: BinMeta,
        new_object_key: str,
        keep_version: bool,
        now: str,
        idempotent: IdempotentWrite | None = None,
    ) -> BinMeta:
        """Point the bin at its new body, keep the old one as a version if asked, spend one request.

        All or nothing, in one transaction. Raises CommitConflict if the bin changed since `current`
        was read, AllowanceSpent if the owner's account has no requests left.
        """
        set_clause = "objectKey = :new_object, updatedAt = :now, latestVersioned = :versioned"
        values: dict[str, object] = {":new_object": new_object_key, ":now": now, ":versioned": keep_version}
        version_count = current.version_count
        items = []
        if keep_version:
            version_count += 1
            set_clause += ", versionCount = :version_count"
            values[":version_count"] = version_count
            items.append(
                {
                    "Put": {
                        "TableName": self.versions_table,
                        "Item": to_item(
                            {
                                "binId": current.bin_id,
                                "version": version_count,
                                "objectKey": current.object_key,
                                "createdAt": current.updated_at,
                                "versionGeneration": current.version_generation,
                            }
                        ),
                        # A row of an earlier generation (left by a versions reset) is no version
                        # of the bin's: overwriting it is how versions regrow after a reset.
                        "ConditionExpression": "attribute_not_exists(binId) OR attribute_not_exists(versionGeneration)"
                        " OR versionGeneration < :generation",
                        "ExpressionAttributeValues": to_item({":generation": current.version_generation}),
                    }
                }
            )
        items.insert(0, self._update_item(current, set_clause, values))
        updated = replace(
            current,
            revision=current.revision + 1,
            object_key=new_object_key,
            version_count=version_count,
            updated_at=now,
            latest_versioned=keep_version,
        )
        self._charges.commit(items, current.owner_id, idempotent, updated)
        return updated

    @aws_call
    def change_meta(
        self,
        current: BinMeta,
        private: bool | None = None,
        name: str | None = None,
        idempotent: IdempotentWrite | None = None,
    ) -> BinMeta:
        """Change a bin's privacy or name and spend one request.

        The revision moves too, so an update authorised against the old privacy cannot commit.
        """
        changes = {field: value for field, value in {"private": private, "name": name}.items() if value is not None}
        set_clause = ", ".join(f"#{field} = :{field}" for field in changes)
        item = self._update_item(current, set_clause, {f":{field}": value for field, value in changes.items()})
        item["Update"]["ExpressionAttributeNames"] = {f"#{field}": field for field in changes}
        changed = replace(
            current,
            revision=current.revision + 1,
            private=current.private if private is None else private,
            name=current.name if name is None else name,
        )
        self._charges.commit([item], current.owner_id, idempotent, changed)
        return changed

    @aws_call
    def reset_versions(
        self,
        current: BinMeta,
        base_object_key: str | None,
        require_no_versions: bool,
        idempotent: IdempotentWrite | None = None,
    ) -> None:
        """Forget every kept version, in one write that moves the bin to its next version generation,
        and spend one request; point the bin at `base_object_key` if given, else leave its latest.
        An idempotent reset records `current`: the bin as the reset found it.

        Conditioned on the generation, not the revision: updates that commit meanwhile do not make
        a reset lose the race (they add versions the reset forgets too, and a kept version 1, the
        base record, never changes within a generation). `require_no_versions`: conditioned too on
        the bin keeping none, for a reset that read none and must not skip a base record kept since.
        Raises CommitConflict if another reset (or a delete) came first.
        """
        set_clause = "versionCount = :zero, versionGeneration = :next_generation, revision = revision + :one"
        values: dict[str, object] = {
            ":zero": 0,
            ":one": 1,
            ":generation": current.version_generation,
            ":next_generation": current.version_generation + 1,
        }
        if base_object_key is not None:
            set_clause += ", objectKey = :base"
            values[":base"] = base_object_key
        condition = "versionGeneration = :generation"
        if current.version_generation == 0:  # bins stored before generations existed have none
            condition = "(attribute_exists(binId) AND attribute_not_exists(versionGeneration)) OR " + condition
        if require_no_versions:
            condition = f"({condition}) AND versionCount = :zero"
        item = {
            "Update": {
                "TableName": self.bins_table,
                "Key": to_item({"binId": current.bin_id}),
                "UpdateExpression": f"SET {set_clause}",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        self._charges.commit([item], current.owner_id, idempotent, current)

    @aws_call
    def delete_version_rows(self, bin_id: str, rows: list[KeptVersion]) -> None:
        """Delete version rows (not their bodies), whatever their generation: for a deleted bin."""
        self._clients.delete_items(self.versions_table, [{"binId": bin_id, "version": kept.version} for kept in rows])

    @aws_call
    def delete_stale_version_rows(self, bin_id: str, rows: list[KeptVersion], below_generation: int) -> None:
        """Delete rows a versions reset left behind, each only while it is still of a generation below
        `below_generation` (an update may have kept a new version under the same number since).

        In transactions of up to 100 conditional deletes; one cancelled by such a row is done again
        delete by delete, leaving that row alone. Idempotent: a row already gone stays gone.
        """
        dynamodb = self._clients.dynamodb

        def delete(kept: KeptVersion) -> dict:
            return {
                "TableName": self.versions_table,
                "Key": to_item({"binId": bin_id, "version": kept.version}),
                "ConditionExpression": "attribute_not_exists(versionGeneration) OR versionGeneration < :below",
                "ExpressionAttributeValues": to_item({":below": below_generation}),
            }

        for start in range(0, len(rows), _TRANSACTION_ITEMS):
            chunk = rows[start : start + _TRANSACTION_ITEMS]
            try:
                dynamodb.transact_write_items(
                    TransactItems=[{"Delete": delete(kept)} for kept in chunk], ClientRequestToken=uuid4().hex
                )
            except dynamodb.exceptions.TransactionCanceledException:
                for kept in chunk:
                    try:
                        dynamodb.delete_item(**delete(kept))
                    except dynamodb.exceptions.ConditionalCheckFailedException:
                        pass  # a version of the bin's current generation now: it stays

    @aws_call
    def delete(self, current: BinMeta, idempotent: IdempotentWrite | None = None) -> None:
        """Delete the bin's metadata (its versions and bodies go next) and spend one request. An
        idempotent delete records `current`: the bin as it deleted it."""
        self._charges.commit(
            [
                {
                    "Delete": {
                        "TableName": self.bins_table,
                        "Key": to_item({"binId": current.bin_id}),
                        "ConditionExpression": "revision = :expected_revision",
                        "ExpressionAttributeValues": to_item({":expected_revision": current.revision}),
                    }
                }
            ],
            current.owner_id,
            idempotent,
            current,
        )
