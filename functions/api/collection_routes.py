"""Collections, `/v3/c`: create, list and rename them, list their bins, attach a schema doc, remove it."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import collections, listings
from binstore.model import Collection, ListedBin
from http_helpers import credentials, header, json_response, served, store

router = APIGatewayHttpRouter()


def _schema_doc_summary(collection: Collection) -> dict:
    """What attaching or detaching answers: the collection as it stands after."""
    return {
        "collectionName": collection.name,
        "schemaDocId": collection.schema_doc_id,
        "metadata": {"id": collection.collection_id, "createdAt": collection.created_at},
    }


@router.post("/v3/c")
def create() -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: collections.create_collection(
            store(router), credentials(event), header(event, "X-Collection-Name"), idempotent
        ),
        lambda collection: {
            "record": collection.collection_id,
            "metadata": {"createdAt": collection.created_at, "name": collection.name},
        },
        "CollectionCreated",
    )


@router.get("/v3/c")
def list_collections() -> Response:
    listed = listings.list_collections(store(router), credentials(router.current_event))
    served("CollectionsListed")
    return json_response(
        [
            {
                "record": collection.collection_id,
                "collectionMeta": {"name": collection.name},
                "schemaDocId": collection.schema_doc_id,
                "createdAt": collection.created_at,
            }
            for collection in listed
        ]
    )


def _listed_bin(bin: ListedBin) -> dict:
    """A bin as JSONBin's listings show it: its name (when it has one) in snippetMeta."""
    snippet = {"name": bin.name} if bin.name is not None else {}
    return {"snippetMeta": snippet, "private": bin.private, "record": bin.bin_id, "createdAt": bin.created_at}


def _bins_page(collection_id: str, last_bin_id: str | None) -> Response:
    event = router.current_event
    ascending = listings.sort_order(header(event, "X-Sort-Order"))
    page = listings.list_bins(store(router), credentials(event), collection_id, last_bin_id, ascending)
    served("BinsListed")
    return json_response([_listed_bin(bin) for bin in page])


@router.get("/v3/c/<collection_id>/bins")
def list_bins(collection_id: str) -> Response:
    return _bins_page(collection_id, None)


@router.get("/v3/c/<collection_id>/bins/<last_bin_id>")
def list_bins_after(collection_id: str, last_bin_id: str) -> Response:
    return _bins_page(collection_id, last_bin_id)


@router.put("/v3/c/<collection_id>/meta/name")
def rename(collection_id: str) -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: collections.rename_collection(
            store(router), credentials(event), collection_id, header(event, "X-Collection-Name"), idempotent
        ),
        lambda collection: {"record": collection.collection_id, "metadata": {"name": collection.name}},
        "CollectionRenamed",
    )


@router.put("/v3/c/<collection_id>/schemadoc/add")
def add_schema_doc(collection_id: str) -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: collections.attach_schema_doc(
            store(router), credentials(event), collection_id, header(event, "X-Schema-Doc-Id"), idempotent
        ),
        _schema_doc_summary,
        "SchemaDocAttached",
    )


@router.put("/v3/c/<collection_id>/schemadoc/remove")
def remove_schema_doc(collection_id: str) -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: collections.detach_schema_doc(store(router), credentials(event), collection_id, idempotent),
        _schema_doc_summary,
        "SchemaDocDetached",
    )
