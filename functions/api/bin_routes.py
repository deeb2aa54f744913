"""The Bins API, `/v3/b`: create, read, update, versions, delete, privacy and name."""

from collections.abc import Callable
from dataclasses import replace

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import bins, reads
from binstore.ids import is_object_id
from binstore.jsonpaths import compile_path
from binstore.model import BinMeta, IdempotentWrite
from binstore.records import RequestBody
from binstore.updates import UpdateRequest, update_bin
from http_helpers import (
    bin_metadata,
    bool_header,
    credentials,
    etag,
    expected_revisions,
    flag,
    header,
    json_body,
    json_response,
    record_response,
    replay_headers,
    served,
    store,
    version_etag,
)

router = APIGatewayHttpRouter()
logger = Logger(child=True)


def _log_bin(bin_id: str) -> None:
    """Name the bin in this request's log lines; only a well-formed id, never what a caller put in the path."""
    if is_object_id(bin_id):
        logger.append_keys(bin_id=bin_id)


@router.post("/v3/b")
def create() -> Response:
    event = router.current_event
    body = RequestBody(json_body(event))

    def write(idempotent: IdempotentWrite | None) -> BinMeta:
        created = bins.create_bin(
            store(router),
            credentials(event),
            body,
            private=flag(event, "X-Bin-Private") is not False,
            name=header(event, "X-Bin-Name"),
            collection_id=header(event, "X-Collection-Id"),
            idempotent=idempotent,
        )
        return created.bin

    def summarise(bin: BinMeta) -> dict:
        return {"metadata": bin_metadata(bin), "revision": bin.revision}

    summary, replayed = idempotency.once(router, body.raw, write, summarise, "BinCreated")
    _log_bin(summary["metadata"]["id"])
    # The record as created (a replay has not parsed it yet: the retry's body is the first one's).
    return record_response(body.record.json_text, summary["metadata"], _written_headers(summary, replayed))


def _written_headers(summary: dict, replayed: bool) -> dict:
    return {"ETag": etag(summary["revision"]), **replay_headers(replayed)}


def _read(bin_id: str, version: str | None) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    with_meta = flag(event, "X-Bin-Meta")
    if with_meta is None:
        with_meta = bool_header("meta", event.get_query_string_value("meta"))
    json_path = header(event, "X-JSON-Path")
    # Parsed and checked against the supported subset before any AWS call: a refused expression
    # costs the bin's owner nothing.
    path = compile_path(json_path) if json_path is not None else None
    stored = reads.read_bin(store(router), bin_id, credentials(event), version, path)
    record_text = stored.json_text
    served("BinRead")
    # The latest record (whichever way it is asked for) is tagged with the bin's revision (what
    # If-Match takes back); an older version never changes, and is tagged by its body.
    headers = {"ETag": etag(stored.bin.revision) if stored.is_latest else version_etag(stored.object_key)}
    if with_meta is False:
        return Response(200, "application/json", record_text, headers=headers)
    extra = {"version": stored.version} if stored.version is not None else {}
    return record_response(record_text, bin_metadata(stored.bin, **extra), headers)


@router.get("/v3/b/<bin_id>")
def read_latest(bin_id: str) -> Response:
    return _read(bin_id, None)


@router.get("/v3/b/<bin_id>/<version>")
def read_version(bin_id: str, version: str) -> Response:
    return _read(bin_id, version)


@router.put("/v3/b/<bin_id>")
def update(bin_id: str) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    request = UpdateRequest(
        bin_id=bin_id,
        body=RequestBody(json_body(event)),
        credentials=credentials(event),
        versioning=flag(event, "X-Bin-Versioning"),
        expected_revisions=expected_revisions(event),
    )

    def write(idempotent: IdempotentWrite | None) -> BinMeta:
        result = update_bin(store(router), replace(request, idempotent=idempotent))
        if result.versioned:
            served("VersionKept")
        # DEBUG, not INFO: a structured line costs an update about a fifth of its own time and most of
        # its log bytes, and the BinUpdated/VersionKept metrics already count updates. Set
        # POWERTOOLS_LOG_LEVEL=DEBUG (or POWERTOOLS_LOGGER_SAMPLE_RATE) to see them.
        logger.debug(
            "Bin updated",
            extra={"revision": result.bin.revision, "versioned": result.versioned, "bytes": len(request.body.raw)},
        )
        return result.bin

    def summarise(bin: BinMeta) -> dict:
        metadata: dict = {"parentId": bin.bin_id, "private": bin.private}
        if bin.latest_versioned:
            metadata["version"] = bin.version_count  # JSONBin's number of the version just written
        return {"metadata": metadata, "revision": bin.revision}

    summary, replayed = idempotency.once(router, request.body.raw, write, summarise, "BinUpdated")
    return record_response(request.body.record.json_text, summary["metadata"], _written_headers(summary, replayed))


@router.get("/v3/b/<bin_id>/versions/count")
def count_versions(bin_id: str) -> Response:
    _log_bin(bin_id)
    bin = reads.count_versions(store(router), bin_id, credentials(router.current_event))
    served("VersionsCounted")
    return json_response({"metadata": {"id": bin.bin_id, "versionCount": bin.version_count, "private": bin.private}})


@router.delete("/v3/b/<bin_id>/versions")
def delete_versions(bin_id: str) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    preserve = bool(flag(event, "X-Preserve-Latest"))
    return idempotency.json_answer(
        router,
        lambda idempotent: bins.delete_versions(store(router), bin_id, credentials(event), preserve, idempotent),
        _deletion_summary("Versions for the Bin are deleted successfully"),
        "VersionsDeleted",
    )


@router.delete("/v3/b/<bin_id>")
def delete(bin_id: str) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    return idempotency.json_answer(
        router,
        lambda idempotent: bins.delete_bin(store(router), bin_id, credentials(event), idempotent),
        _deletion_summary("Bin deleted successfully"),
        "BinDeleted",
    )


def _deletion_summary(message: str) -> Callable[[BinMeta], dict]:
    """A delete's answer, from the bin as the delete found it: its id, and how many versions went."""
    return lambda bin: {"metadata": {"id": bin.bin_id, "versionsDeleted": bin.version_count}, "message": message}


@router.put("/v3/b/<bin_id>/meta/privacy")
def set_privacy(bin_id: str) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    private = flag(event, "X-Bin-Private")
    return _meta_answer(
        lambda idempotent: bins.set_privacy(store(router), bin_id, credentials(event), private, idempotent),
        lambda bin: {"record": bin.bin_id, "metadata": {"private": bin.private}},
        "BinPrivacyChanged",
    )


@router.put("/v3/b/<bin_id>/meta/name")
def set_name(bin_id: str) -> Response:
    event = router.current_event
    _log_bin(bin_id)
    name = header(event, "X-Bin-Name")
    return _meta_answer(
        lambda idempotent: bins.set_name(store(router), bin_id, credentials(event), name, idempotent),
        lambda bin: {"record": bin.bin_id, "metadata": {"name": bin.name}},
        "BinRenamed",
    )


def _meta_answer(
    write: Callable[[IdempotentWrite | None], BinMeta], answer_of: Callable[[BinMeta], dict], metric: str
) -> Response:
    """A change of privacy or name moves the bin's revision: its answer carries the new ETag, so a
    client holding the record can go on updating it with If-Match without reading it again."""
    summary, replayed = idempotency.once(
        router, b"", write, lambda bin: {"answer": answer_of(bin), "revision": bin.revision}, metric
    )
    return json_response(summary["answer"], headers=_written_headers(summary, replayed))
