"""The collections table and the schema docs table.

A collection keeps a copy of its schema doc's text (one read validates a record), and the schema
doc lists the collections holding a copy, so that a change to the doc refreshes each of them.
"""

from dataclasses import replace

from binstore.model import Collection, SchemaDoc
from binstore.storage.charges import Charges
from binstore.storage.clients import Clients, aws_call
from binstore.storage.items import (
    collection_from,
    collection_values,
    put_new_item,
    schema_doc_from,
    schema_doc_values,
    to_item,
)


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
    def get_schema_doc(self, schema_doc_id: str) -> SchemaDoc | None:
        values = self._clients.get_item(self.schema_docs_table, {"schemaDocId": schema_doc_id})
        return schema_doc_from(values) if values else None

    @aws_call
    def create(self, collection: Collection) -> None:
        self._charges.commit(
            [put_new_item(self.collections_table, "collectionId", collection_values(collection))], collection.owner_id
        )

    @aws_call
    def create_schema_doc(self, doc: SchemaDoc) -> None:
        self._charges.commit(
            [put_new_item(self.schema_docs_table, "schemaDocId", schema_doc_values(doc))], doc.owner_id
        )

    @aws_call
    def attach_schema_doc(self, collection: Collection, doc: SchemaDoc) -> None:
        """Copy the schema doc into the collection, list the collection on the doc, and take it off
        the doc it replaces: one transaction, one request, the old schema or the new, never none.

        Conditioned on the collection still naming the doc it named when read (a concurrent attach
        or detach makes this CommitConflict) and on the doc's revision (a doc changed meanwhile
        fails too), so a collection never keeps a copy older than the doc it names.
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
                    "ConditionExpression": "revision = :revision",
                    "ExpressionAttributeValues": {
                        ":collection": {"SS": [collection.collection_id]},
                        **to_item({":revision": doc.revision}),
                    },
                }
            },
        ]
        if replaced and replaced != doc.schema_doc_id:
            items.append(self._unlist_collection(replaced, collection.collection_id))
        self._charges.commit(items, collection.owner_id)

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
    def detach_schema_doc(self, collection: Collection) -> None:
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
        self._charges.commit(items, collection.owner_id)

    @aws_call
    def change_schema_doc(self, doc: SchemaDoc, schema_json: str) -> SchemaDoc:
        """Store a schema doc's new text (conditioned on its revision) and spend one request."""
        self._charges.commit(
            [
                {
                    "Update": {
                        "TableName": self.schema_docs_table,
                        "Key": to_item({"schemaDocId": doc.schema_doc_id}),
                        "UpdateExpression": "SET #schema = :schema, revision = :next",
                        "ConditionExpression": "revision = :expected",
                        "ExpressionAttributeNames": {"#schema": "schema"},
                        "ExpressionAttributeValues": to_item(
                            {":schema": schema_json, ":next": doc.revision + 1, ":expected": doc.revision}
                        ),
                    }
                }
            ],
            doc.owner_id,
        )
        return replace(doc, schema_json=schema_json, revision=doc.revision + 1)

    @aws_call
    def refresh_schema_copy(self, collection_id: str, doc: SchemaDoc) -> None:
        """Give a collection the doc's current text, unless it holds a newer one or another doc."""
        dynamodb = self._clients.dynamodb
        try:
            dynamodb.update_item(
                TableName=self.collections_table,
                Key=to_item({"collectionId": collection_id}),
                UpdateExpression="SET #schema = :schema, schemaRevision = :revision",
                ConditionExpression="schemaDocId = :doc AND schemaRevision < :revision",
                ExpressionAttributeNames={"#schema": "schema"},
                ExpressionAttributeValues=to_item(
                    {":schema": doc.schema_json, ":revision": doc.revision, ":doc": doc.schema_doc_id}
                ),
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass  # already as new, or detached meanwhile: nothing to refresh
