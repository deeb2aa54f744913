"""Collections, `/v3/c`: create one, attach a schema doc to it, remove it."""

from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import collections
from binstore.model import Collection, IdempotentWrite
from http_helpers import credentials, header, json_response, replay_headers, served, store

router = APIGatewayHttpRouter()


def _schema_doc_answer(event, write: Callable[[IdempotentWrite | None], Collection]) -> Response:
    """Attach or detach, at most once per Idempotency-Key: the collection as it stands after."""

    def summarise(collection: Collection) -> dict:
        return {
            "collectionName": collection.name,
            "schemaDocId": collection.schema_doc_id,
            "metadata": {"id": collection.collection_id, "createdAt": collection.created_at},
        }

    answer, replayed = idempotency.once(event, router.lambda_context, store(router), b"", write, summarise)
    return json_response(answer, headers=replay_headers(replayed))


@router.post("/v3/c")
def create() -> Response:
    event = router.current_event

    def write(idempotent: IdempotentWrite | None) -> Collection:
        name = header(event, "X-Collection-Name")
        collection = collections.create_collection(store(router), credentials(event), name, idempotent)
        served("CollectionCreated")
        return collection

    def summarise(collection: Collection) -> dict:
        return {
            "record": collection.collection_id,
            "metadata": {"createdAt": collection.created_at, "name": collection.name},
        }

    answer, replayed = idempotency.once(event, router.lambda_context, store(router), b"", write, summarise)
    return json_response(answer, headers=replay_headers(replayed))


@router.put("/v3/c/<collection_id>/meta/name")
def rename(collection_id: str) -> Response:
    event = router.current_event

    def write(idempotent: IdempotentWrite | None) -> Collection:
        name = header(event, "X-Collection-Name")
        collection = collections.rename_collection(store(router), credentials(event), collection_id, name, idempotent)
        served("CollectionRenamed")
        return collection

    def summarise(collection: Collection) -> dict:
        return {"record": collection.collection_id, "metadata": {"name": collection.name}}

    answer, replayed = idempotency.once(event, router.lambda_context, store(router), b"", write, summarise)
    return json_response(answer, headers=replay_headers(replayed))


@router.put("/v3/c/<collection_id>/schemadoc/add")
def add_schema_doc(collection_id: str) -> Response:
    event = router.current_event

    def write(idempotent: IdempotentWrite | None) -> Collection:
        collection = collections.attach_schema_doc(
            store(router), credentials(event), collection_id, header(event, "X-Schema-Doc-Id"), idempotent
        )
        served("SchemaDocAttached")
        return collection

    return _schema_doc_answer(event, write)


@router.put("/v3/c/<collection_id>/schemadoc/remove")
def remove_schema_doc(collection_id: str) -> Response:
    event = router.current_event

    def write(idempotent: IdempotentWrite | None) -> Collection:
        collection = collections.detach_schema_doc(store(router), credentials(event), collection_id, idempotent)
        served("SchemaDocDetached")
        return collection

    return _schema_doc_answer(event, write)
