"""`Idempotency-Key` (our extension to JSONBin), on every write route: a retried write answers as
the first one did, and does nothing twice: no second bin, no second version, no second request spent.

Powertools' idempotency utility keeps one item per key in a DynamoDB table: INPROGRESS while the
first request runs, COMPLETED with what it returned once it succeeded (a refused request leaves
nothing, so fixing and retrying it runs it afresh). Items expire after a day (the table's TTL).
Beside it, the write's own commit records what it committed, in the same transaction (see once):
the record that survives an answer lost after the commit, which Powertools' cannot.

A key is scoped to the route, the path and the credentials presented (as a SHA-256, never the key
itself), so two callers who pick the same key never see each other's answers. A retry must be the
same request: its body and headers are hashed and compared, and a different request under a used
key is refused (422). What is stored is the small summary a route returns (ids, flags, revision),
never a record: a replayed answer embeds the retry's own body, which the hash proves identical.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from binstore import errors
from binstore.model import AlreadyRecorded, IdempotentWrite, StorageUnavailable
from binstore.storage import Store
from http_helpers import header, json_response, replay_headers, served
from http_helpers import store as store_of

HEADER = "Idempotency-Key"
# Headers that change what a write does: a retry must repeat them as they were.
_MEANINGFUL_HEADERS = (
    "x-bin-private",
    "x-bin-name",
    "x-bin-versioning",
    "x-collection-id",
    "x-collection-name",
    "x-schema-doc-name",
    "x-schema-doc-id",
    "x-key-name",
    "x-preserve-latest",
    "if-match",
    "content-type",
)


# Powertools' idempotency utility is imported by the first request that carries the header, not by
# every cold start: most requests never carry one.


@functools.cache
def _config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="request",
        hash_function="sha256",
        expires_after_seconds=24 * 60 * 60,
    )


@functools.lru_cache(maxsize=1)
def _persistence_layer(current: Store):
    """The container's persistence layer, sharing its Store's DynamoDB client (and so its endpoint)."""
    return current.idempotency_persistence()


def _sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text).hexdigest()


_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: no spaces, no control characters


def once[E](
    router: BaseRouter,
    body: bytes,
    write: Callable[[IdempotentWrite | None], E],
    summarise: Callable[[E], dict],
    metric: str,
) -> tuple[dict, bool]:
    """Run `write` at most once per Idempotency-Key; answer the summary of what it wrote.

    `write` returns the entity it wrote (a bin, a collection, a schema doc), as it stands after its
    commit; `summarise` makes the small JSON-able summary an answer is built from; `metric` counts
    the writes that ran (a replay is counted as RequestReplayed). Returns the summary and whether it
    is a replay of an earlier request's. Without the header, `write` simply runs.

    Two records make a retry safe. Powertools' (below) answers a retry of a request that succeeded.
    Ours is written by the write's own commit, in its transaction (IdempotentWrite): a retry of a
    request whose commit took effect but whose answer was lost (storage unanswered, the function cut
    off), which Powertools forgot with the error, finds it and answers from it instead of writing
    again.
    """
    event = cast(APIGatewayProxyEventV2, router.current_event)  # the HTTP API sends payload 2.0
    store = store_of(router)

    def counted_write(idempotent: IdempotentWrite | None) -> E:
        entity = write(idempotent)
        served(metric)
        return entity

    key = header(event, HEADER)
    if key is None:
        return summarise(counted_write(None)), False
    if _VALID_KEY.fullmatch(key) is None:
        raise errors.InvalidIdempotencyKey()
    credentials = f"{header(event, 'X-Master-Key') or ''}\n{header(event, 'X-Access-Key') or ''}"
    scoped = {
        "scope": {
            "route": f"{event.request_context.http.method} {event.raw_path}",
            "key": key,
            "credentials": _sha256(credentials),
        },
        "request": {"body": _sha256(body), "headers": {name: header(event, name) for name in _MEANINGFUL_HEADERS}},
    }
    idempotent = IdempotentWrite(
        record_id=_sha256(json.dumps(scoped["scope"], sort_keys=True)),
        request_hash=_sha256(json.dumps(scoped["request"], sort_keys=True)),
    )
    replayed = True

    def recorded_answer() -> dict | None:
        recorded = store.recorded_commit(idempotent)
        if recorded is None:
            return None
        if recorded.request_hash != idempotent.request_hash:
            raise errors.IdempotencyKeyReused()
        return summarise(recorded.entity)  # type: ignore[arg-type]  # recorded by this route's write

    def first_time(request: dict) -> dict:
        # Kept as JSON text: Powertools stores what this returns with its keys sorted, and a replay
        # must answer in the first answer's order, byte for byte.
        return {"answer": json.dumps(summary_of_first_time())}

    def summary_of_first_time() -> dict:
        nonlocal replayed
        answer = recorded_answer()
        if answer is not None:
            return answer
        try:
            entity = counted_write(idempotent)
        except (AlreadyRecorded, errors.BinStoreError):
            # A twin of this request (past Powertools' in-progress mark) may have committed since
            # the look: its record cancelled our commit, or its effect refused us (the bin it
            # deleted is not found, the doc it detached is not attached). Answer as it would.
            answer = recorded_answer()
            if answer is None:
                raise
            return answer
        replayed = False
        return summarise(entity)

    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = _config()
    config.register_lambda_context(router.lambda_context)  # a Lambda that dies mid-request frees the key
    try:
        stored = idempotent_function(
            first_time,
            data_keyword_argument="request",
            key_prefix="binstore",
            persistence_store=_persistence_layer(store),
            config=config,
        )(request=scoped)
    except IdempotencyValidationError:
        raise errors.IdempotencyKeyReused() from None
    except IdempotencyAlreadyInProgressError:
        raise errors.IdempotencyKeyInProgress() from None
    except IdempotencyPersistenceLayerError as failure:
        # The idempotency table failed. If the write committed, its own record says so, and a retry
        # (once Powertools' in-progress mark expires: 409 until then) answers from it.
        raise StorageUnavailable(type(failure).__name__) from failure
    # A record saved before answers were kept as text holds the summary itself (for a day at most).
    summary = json.loads(stored["answer"]) if "answer" in stored else stored
    if replayed:
        served("RequestReplayed")
    return summary, replayed


def json_answer[E](
    router: BaseRouter,
    write: Callable[[IdempotentWrite | None], E],
    summarise: Callable[[E], dict],
    metric: str,
) -> Response:
    """A write without a body whose answer is its summary, run at most once per Idempotency-Key."""
    answer, replayed = once(router, b"", write, summarise, metric)
    return json_response(answer, headers=replay_headers(replayed))
