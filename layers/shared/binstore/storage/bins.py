"""The bins table and the bin versions table: each bin's metadata, and the versions it keeps.

Every change to a bin is conditioned on its revision and bumps it, so a concurrent writer is never
lost; every change spends one of the owner's requests in the same transaction (storage.charges).
"""

import time
from dataclasses import replace

from binstore.model import BinMeta, KeptVersion
from binstore.storage.charges import Charges
from binstore.storage.clients import UNPROCESSED_PAUSE_SECONDS, Clients, aws_call
from binstore.storage.items import bin_from, bin_values, from_item, put_new_item, to_item

# DynamoDB writes at most this many items per BatchWriteItem call.
_WRITE_BATCH = 25


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
    def version_object_key(self, bin_id: str, version: int) -> str | None:
        values = self._clients.get_item(self.versions_table, {"binId": bin_id, "version": version})
        return values["objectKey"] if values else None

    @aws_call
    def versions(self, bin_id: str) -> list[KeptVersion]:
        """Every kept version of a bin, oldest first."""
        pages = self._clients.dynamodb.get_paginator("query").paginate(
            TableName=self.versions_table,
            KeyConditionExpression="binId = :bin",
            ExpressionAttributeValues=to_item({":bin": bin_id}),
            ProjectionExpression="version, objectKey",
            ConsistentRead=True,
        )
        return [
            KeptVersion(int(values["version"]), values["objectKey"])
            for page in pages
            for values in map(from_item, page.get("Items", []))
        ]

    @aws_call
    def create(self, meta: BinMeta) -> None:
        """Store a new bin's metadata and spend one of its owner's requests."""
        self._charges.commit([put_new_item(self.bins_table, "binId", bin_values(meta))], meta.owner_id)

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
    def commit_update(self, current: BinMeta, new_object_key: str, keep_version: bool, now: str) -> BinMeta:
        """Point the bin at its new body, keep the old one as a version if asked, spend one request.

        All or nothing, in one transaction. Raises CommitConflict if the bin changed since `current`
        was read, AllowanceSpent if the owner's account has no requests left.
        """
        set_clause = "objectKey = :new_object, updatedAt = :now"
        values: dict[str, object] = {":new_object": new_object_key, ":now": now}
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
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(binId)",
                    }
                }
            )
        items.insert(0, self._update_item(current, set_clause, values))
        self._charges.commit(items, current.owner_id)
        return replace(
            current,
            revision=current.revision + 1,
            object_key=new_object_key,
            version_count=version_count,
            updated_at=now,
        )

    @aws_call
    def change_meta(self, current: BinMeta, private: bool | None = None, name: str | None = None) -> BinMeta:
        """Change a bin's privacy or name and spend one request.

        The revision moves too, so an update authorised against the old privacy cannot commit.
        """
        changes = {field: value for field, value in {"private": private, "name": name}.items() if value is not None}
        set_clause = ", ".join(f"#{field} = :{field}" for field in changes)
        item = self._update_item(current, set_clause, {f":{field}": value for field, value in changes.items()})
        item["Update"]["ExpressionAttributeNames"] = {f"#{field}": field for field in changes}
        self._charges.commit([item], current.owner_id)
        return replace(
            current,
            revision=current.revision + 1,
            private=current.private if private is None else private,
            name=current.name if name is None else name,
        )

    @aws_call
    def reset_versions(self, current: BinMeta, object_key: str) -> BinMeta:
        """Forget every kept version (their rows and bodies go next) and point the bin at `object_key`."""
        item = self._update_item(
            current, "versionCount = :zero, objectKey = :object", {":zero": 0, ":object": object_key}
        )
        self._charges.commit([item], current.owner_id)
        return replace(current, revision=current.revision + 1, version_count=0, object_key=object_key)

    @aws_call
    def delete_versions(self, bin_id: str, versions: list[KeptVersion]) -> None:
        """Delete the rows of kept versions (not their bodies)."""
        for start in range(0, len(versions), _WRITE_BATCH):
            request = {
                self.versions_table: [
                    {"DeleteRequest": {"Key": to_item({"binId": bin_id, "version": kept.version})}}
                    for kept in versions[start : start + _WRITE_BATCH]
                ]
            }
            while request:
                request = self._clients.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if request:
                    time.sleep(UNPROCESSED_PAUSE_SECONDS)  # DynamoDB left some undone under load: ask again

    @aws_call
    def delete(self, current: BinMeta) -> None:
        """Delete the bin's metadata (its versions and bodies go next) and spend one request."""
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
        )
