"""The collections table and the schema docs table.

A collection keeps a copy of its schema doc's text (one read validates a record), and the schema
doc lists the collections holding a copy, so that a change to the doc refreshes each of them.
"""

from dataclasses import replace

from binstore.model import Collection, IdempotentWrite, SchemaDoc
from binstore.plans import MAX_COLLECTIONS_PER_SCHEMA_DOC
from binstore.storage.charges import Charges
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import (
    collection_from,
    collection_values,
    from_item,
    put_new_item,
    schema_doc_from,
    schema_doc_values,
    to_item,
)

COLLECTIONS_BY_OWNER = "byOwner"


class CollectionTables:
    def __init__(self, collections_table: str, schema_docs_table: str, clients: Clients, charges: Charges):
        self.collections_table = collections_table
        self.schema_docs_table = schema_docs_table
        self._clients = clients
        self._charges = charges

    @aws_call
    def get(self, collection_id: str) -> Collection | None:
        values = self._clients.get_item(self.collections_table, {"collectionId": collection_id})
        return collection_from(values) if values else None

    @aws_call
    def of_owner(self, owner_id: str, limit: int) -> list[Collection]:
        """Up to `limit` of an account's collections, oldest first, without their schema copies.
        From an index: eventually consistent."""
        collections: list[Collection] = []
        start = None
        while len(collections) < limit:
            page = self._clients.dynamodb.query(
                TableName=self.collections_table,
                IndexName=COLLECTIONS_BY_OWNER,
                KeyConditionExpression="ownerId = :owner",
                ExpressionAttributeValues=to_item({":owner": owner_id}),
                Limit=limit - len(collections),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            collections += [collection_from(from_item(item)) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return collections

    @aws_call
    def ids_listed(self, owner_id: str) -> list[str]:
        """The ids of every collection of the account, from the index byOwner (eventually consistent)."""
        found = self._clients.items(
            "query",
            TableName=self.collections_table,
            IndexName=COLLECTIONS_BY_OWNER,
            KeyConditionExpression="ownerId = :owner",
            ExpressionAttributeValues=to_item({":owner": owner_id}),
            ProjectionExpression="collectionId",
        )
        return [values["collectionId"] for values in found]

    @aws_call
    def collection_ids_owned_by(self, owner_id: str) -> list[str]:
        """The ids of every collection of the account, from a consistent Scan: complete where the
        index may lag (an account's deletion)."""
        return self._clients.ids_owned_by(self.collections_table, "collectionId", "ownerId", owner_id)

    @aws_call
    def schema_doc_ids_owned_by(self, owner_id: str) -> list[str]:
        """The ids of every schema doc of the account, from a consistent Scan (the table has no index
        by owner: only an account's deletion looks for them all)."""
        return self._clients.ids_owned_by(self.schema_docs_table, "schemaDocId", "ownerId", owner_id)

    @aws_call
    def remove(self, collection_id: str) -> None:
        """Delete a collection's item, spending nothing: for an account being deleted."""
        self._clients.dynamodb.delete_item(
            TableName=self.collections_table, Key=to_item({"collectionId": collection_id})
        )

    @aws_call
    def remove_schema_doc(self, schema_doc_id: str) -> None:
        """Delete a schema doc's item, spending nothing: for an account being deleted."""
        self._clients.dynamodb.delete_item(
            TableName=self.schema_docs_table, Key=to_item({"schemaDocId": schema_doc_id})
        )

    @aws_call
    def get_schema_doc(self, schema_doc_id: str) -> SchemaDoc | None:
        values = self._clients.get_item(self.schema_docs_table, {"schemaDocId": schema_doc_id})
        return schema_doc_from(values) if values else None

    @aws_call
    def create(self, collection: Collection, idempotent: IdempotentWrite | None = None) -> None:
        self._charges.commit(
            [put_new_item(self.collections_table, "collectionId", collection_values(collection))],
            collection.owner_id,
            idempotent,
            collection,
        )

    @aws_call
    def create_schema_doc(self, doc: SchemaDoc, idempotent: IdempotentWrite | None = None) -> None:
        self._charges.commit(
            [put_new_item(self.schema_docs_table, "schemaDocId", schema_doc_values(doc))],
            doc.owner_id,
            idempotent,
            doc,
        )

    @aws_call
    def rename(self, collection: Collection, name: str, idempotent: IdempotentWrite | None = None) -> Collection:
        """Rename a collection (if it still exists) and spend one request."""
        renamed = replace(collection, name=name)
        item = {
            "Update": {
                "TableName": self.collections_table,
                "Key": to_item({"collectionId": collection.collection_id}),
                "UpdateExpression": "SET #name = :name",
                "ConditionExpression": "attribute_exists(collectionId)",
                "ExpressionAttributeNames": {"#name": "name"},
                "ExpressionAttributeValues": to_item({":name": name}),
            }
        }
        self._charges.commit([item], collection.owner_id, idempotent, renamed)
        return renamed

    @aws_call
    def rename_schema_doc(self, doc: SchemaDoc, name: str, idempotent: IdempotentWrite | None = None) -> SchemaDoc:
        """Rename a schema doc and spend one request: its schema, and the collections' copies of it,
        stay as they are. Conditioned on the doc's revision, which it bumps, like every change of
        the doc: a change of its schema racing it cannot put the old name back."""
        renamed = replace(doc, name=name, revision=doc.revision + 1)
        item = {
            "Update": {
                "TableName": self.schema_docs_table,
                "Key": to_item({"schemaDocId": doc.schema_doc_id}),
                "UpdateExpression": "SET #name = :name, revision = :next",
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeNames": {"#name": "name"},
                "ExpressionAttributeValues": to_item(
                    {":name": name, ":next": renamed.revision, ":expected": doc.revision}
                ),
            }
        }
        self._charges.commit([item], doc.owner_id, idempotent, renamed)
        return renamed

    @aws_call
    def attach_schema_doc(
        self, collection: Collection, doc: SchemaDoc, idempotent: IdempotentWrite | None = None
    ) -> Collection:
        """Copy the schema doc into the collection, list the collection on the doc, and take it off
        the doc it replaces: one transaction, one request, the old schema or the new, never none.

        Conditioned on the collection still naming the doc it named when read (a concurrent attach
        or detach makes this CommitConflict), on the doc's revision (a doc changed meanwhile fails
        too), so a collection never keeps a copy older than the doc it names, and on the doc listing
        fewer than MAX_COLLECTIONS_PER_SCHEMA_DOC collections (so that a change of the doc and of
        every copy fits in one transaction).
        """
        replaced = collection.schema_doc_id
        condition = "schemaDocId = :replaced" if replaced else "attribute_not_exists(schemaDocId)"
        items = [
            {
                "Update": {
                    "TableName": self.collections_table,
                    "Key": to_item({"collectionId": collection.collection_id}),
                    "UpdateExpression": "SET schemaDocId = :doc, #schema = :schema, schemaRevision = :revision",
                    "ConditionExpression": f"attribute_exists(collectionId) AND {condition}",
                    "ExpressionAttributeNames": {"#schema": "schema"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":doc": doc.schema_doc_id,
                            ":schema": doc.schema_json,
                            ":revision": doc.revision,
                            ":replaced": replaced,
                        }
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self.schema_docs_table,
                    "Key": to_item({"schemaDocId": doc.schema_doc_id}),
                    "UpdateExpression": "ADD collectionIds :collection",
                    # Room for one more, unless it is listed already (attached again).
                    "ConditionExpression": "revision = :revision AND (attribute_not_exists(collectionIds)"
                    " OR contains(collectionIds, :listed) OR size(collectionIds) < :most)",
                    "ExpressionAttributeValues": {
                        ":collection": {"SS": [collection.collection_id]},
                        **to_item(
                            {
                                ":revision": doc.revision,
                                ":listed": collection.collection_id,
                                ":most": MAX_COLLECTIONS_PER_SCHEMA_DOC,
                            }
                        ),
                    },
                }
            },
        ]
        if replaced and replaced != doc.schema_doc_id:
            items.append(self._unlist_collection(replaced, collection.collection_id))
        attached = replace(
            collection, schema_doc_id=doc.schema_doc_id, schema_json=doc.schema_json, schema_revision=doc.revision
        )
        self._charges.commit(items, collection.owner_id, idempotent, attached)
        return attached

    def _unlist_collection(self, schema_doc_id: str, collection_id: str) -> dict:
        """A transaction item taking a collection off the list of those a schema doc refreshes."""
        return {
            "Update": {
                "TableName": self.schema_docs_table,
                "Key": to_item({"schemaDocId": schema_doc_id}),
                "UpdateExpression": "DELETE collectionIds :collection",
                "ExpressionAttributeValues": {":collection": {"SS": [collection_id]}},
            }
        }

    @aws_call
    def detach_schema_doc(self, collection: Collection, idempotent: IdempotentWrite | None = None) -> Collection:
        items = [
            {
                "Update": {
                    "TableName": self.collections_table,
                    "Key": to_item({"collectionId": collection.collection_id}),
                    "UpdateExpression": "REMOVE schemaDocId, #schema, schemaRevision",
                    "ConditionExpression": "attribute_exists(collectionId)",
                    "ExpressionAttributeNames": {"#schema": "schema"},
                }
            }
        ]
        if collection.schema_doc_id:
            items.append(self._unlist_collection(collection.schema_doc_id, collection.collection_id))
        detached = replace(collection, schema_doc_id=None, schema_json=None, schema_revision=0)
        self._charges.commit(items, collection.owner_id, idempotent, detached)
        return detached

    @aws_call
    def change_schema_doc(
        self, doc: SchemaDoc, schema_json: str, idempotent: IdempotentWrite | None = None, name: str | None = None
    ) -> SchemaDoc:
        """Store a schema doc's new text, and the copy each collection attached to it keeps, and spend
        one request: one transaction, so no collection ever validates against a text the doc has
        left behind, whatever fails when.

        Conditioned on the doc's revision, on it listing as many collections as when read, and on
        each of those still naming it: a concurrent attach (which lists one more), detach or
        re-attach elsewhere cancels it (CommitConflict), and the next read sees the new list. Given a
        `name`, the doc is renamed in the same write.
        """
        listed = sorted(doc.collection_ids)
        changed = replace(doc, schema_json=schema_json, revision=doc.revision + 1, name=name or doc.name)
        condition = "revision = :expected AND " + (
            "size(collectionIds) = :listed" if listed else "attribute_not_exists(collectionIds)"
        )
        values = {":schema": schema_json, ":next": changed.revision, ":expected": doc.revision, ":name": changed.name}
        items = [
            {
                "Update": {
                    "TableName": self.schema_docs_table,
                    "Key": to_item({"schemaDocId": doc.schema_doc_id}),
                    "UpdateExpression": "SET #schema = :schema, revision = :next, #name = :name",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#schema": "schema", "#name": "name"},
                    "ExpressionAttributeValues": to_item({**values, ":listed": len(listed) if listed else None}),
                }
            }
        ]
        for collection_id in listed:
            items.append(
                {
                    "Update": {
                        "TableName": self.collections_table,
                        "Key": to_item({"collectionId": collection_id}),
                        "UpdateExpression": "SET #schema = :schema, schemaRevision = :next",
                        "ConditionExpression": "schemaDocId = :doc",
                        "ExpressionAttributeNames": {"#schema": "schema"},
                        "ExpressionAttributeValues": to_item(
                            {":schema": schema_json, ":next": changed.revision, ":doc": doc.schema_doc_id}
                        ),
                    }
                }
            )
        self._charges.commit(items, doc.owner_id, idempotent, changed)
        return changed
