"""Collections, `/v3/c`: create one, attach a schema doc to it, remove it."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import collections
from http_helpers import credentials, header, json_response, replay_headers, served, store

router = APIGatewayHttpRouter()


def _schema_doc_answer(collection, metric: str) -> Response:
    served(metric)
    return json_response(
        {
            "collectionName": collection.name,
            "schemaDocId": collection.schema_doc_id,
            "metadata": {"id": collection.collection_id, "createdAt": collection.created_at},
        }
    )


@router.post("/v3/c")
def create() -> Response:
    event = router.current_event

    def write() -> dict:
        name = header(event, "X-Collection-Name")
        collection = collections.create_collection(store(router), credentials(event), name)
        served("CollectionCreated")
        return {
            "record": collection.collection_id,
            "metadata": {"createdAt": collection.created_at, "name": collection.name},
        }

    answer, replayed = idempotency.once(event, router.lambda_context, store(router), b"", write)
    return json_response(answer, headers=replay_headers(replayed))


@router.put("/v3/c/<collection_id>/schemadoc/add")
def add_schema_doc(collection_id: str) -> Response:
    event = router.current_event
    collection = collections.attach_schema_doc(
        store(router), credentials(event), collection_id, header(event, "X-Schema-Doc-Id")
    )
    return _schema_doc_answer(collection, "SchemaDocAttached")


@router.put("/v3/c/<collection_id>/schemadoc/remove")
def remove_schema_doc(collection_id: str) -> Response:
    collection = collections.detach_schema_doc(store(router), credentials(router.current_event), collection_id)
    return _schema_doc_answer(collection, "SchemaDocDetached")
