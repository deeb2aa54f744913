"""Collections, `/v3/c`: create one, rename it, attach a schema doc to it, remove it."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import collections
from binstore.model import Collection
from http_helpers import credentials, header, store

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
