"""Schema docs, `/v3/s`: create, read and change the JSON Schemas that validate collections."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import schema_docs
from binstore.model import IdempotentWrite, SchemaDoc
from http_helpers import credentials, header, json_body, record_response, replay_headers, served, store

router = APIGatewayHttpRouter()


def _metadata(doc) -> dict:
    return {"id": doc.schema_doc_id, "name": doc.name, "createdAt": doc.created_at}


def _summary(doc: SchemaDoc) -> dict:
    return {"schema": doc.schema_json, "metadata": _metadata(doc)}  # a schema doc is small enough to keep


@router.post("/v3/s")
def create() -> Response:
    event = router.current_event
    body = json_body(event)

    def write(idempotent: IdempotentWrite | None) -> SchemaDoc:
        name = header(event, "X-Schema-Doc-Name")
        return schema_docs.create_schema_doc(store(router), credentials(event), name, body, idempotent)

    answer, replayed = idempotency.once(router, body, write, _summary, "SchemaDocCreated")
    return record_response(answer["schema"], answer["metadata"], replay_headers(replayed))


@router.get("/v3/s/<schema_doc_id>")
def read(schema_doc_id: str) -> Response:
    doc = schema_docs.read_schema_doc(store(router), credentials(router.current_event), schema_doc_id)
    served("SchemaDocRead")
    return record_response(doc.schema_json, _metadata(doc))


@router.put("/v3/s/<schema_doc_id>")
def update(schema_doc_id: str) -> Response:
    event = router.current_event
    body = json_body(event)

    def write(idempotent: IdempotentWrite | None) -> SchemaDoc:
        name = header(event, "X-Schema-Doc-Name")
        return schema_docs.update_schema_doc(store(router), credentials(event), schema_doc_id, body, idempotent, name)

    answer, replayed = idempotency.once(router, body, write, _summary, "SchemaDocUpdated")
    return record_response(answer["schema"], answer["metadata"], replay_headers(replayed))


@router.put("/v3/s/<schema_doc_id>/meta/name")
def rename(schema_doc_id: str) -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: schema_docs.rename_schema_doc(
            store(router), credentials(event), schema_doc_id, header(event, "X-Schema-Doc-Name"), idempotent
        ),
        lambda doc: {"metadata": {"id": doc.schema_doc_id, "name": doc.name}},
        "SchemaDocRenamed",
    )
