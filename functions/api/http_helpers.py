"""HTTP helpers every route shares: reading headers, keys and bodies; writing JSON the way JSONBin does;
the ETag format; and the container's Store, handed to each request through the resolver's context."""

import base64
import binascii
import hashlib

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from binstore import errors
from binstore.access import Credentials
from binstore.records import to_json_text
from binstore.storage import Store

JSON = "application/json"
_metrics = Metrics()  # Powertools' metrics are shared: api_handler flushes them after each request


def served(metric: str) -> None:
    """Count one successful request of a kind (BinCreated, BinRead, ...)."""
    _metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def store(router: BaseRouter) -> Store:
    """The container's Store, which api_handler puts in every request's context."""
    return router.context["store"]


def compact(value) -> str:
    # Compact, as JSONBin (Express) writes its responses.
    return to_json_text(value)


def json_response(value, status: int = 200, headers: dict | None = None) -> Response:
    return Response(status, JSON, compact(value), headers=headers)


def replay_headers(replayed: bool) -> dict:
    """Marks an answer replayed for a retried Idempotency-Key (as Stripe and others name it)."""
    return {"Idempotent-Replayed": "true"} if replayed else {}


def message(status: int, text: str) -> Response:
    return json_response({"message": text}, status)


def record_response(record_json_text: str, metadata: dict, headers: dict | None = None) -> Response:
    """`{"record": ..., "metadata": ...}`, with the record spliced in as the JSON text it already is."""
    return Response(200, JSON, f'{{"record":{record_json_text},"metadata":{compact(metadata)}}}', headers=headers)


def header(event: APIGatewayProxyEventV2, name: str) -> str | None:
    # API Gateway lowercases header names, `sam local` does not, so lookups are case-insensitive.
    # Powertools builds a new case-insensitive dict on every `event.headers` (about 10 us), and a
    # request reads up to ten headers: the first lookup keeps it on the request's event object.
    headers = vars(event).get("_binstore_headers")
    if headers is None:
        headers = vars(event)["_binstore_headers"] = event.headers
    return headers.get(name.lower())


def credentials(event: APIGatewayProxyEventV2) -> Credentials:
    return Credentials(master_key=header(event, "X-Master-Key"), access_key=header(event, "X-Access-Key"))


def _is_json(content_type: str | None) -> bool:
    # Parameters such as "; charset=utf-8" are fine; the media type is case-insensitive.
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == JSON


def json_body(event: APIGatewayProxyEventV2) -> bytes:
    """The request body, raw, after checking it is declared as JSON (parsing is the domain's job)."""
    if not _is_json(header(event, "Content-Type")):
        raise errors.ContentTypeRequired()
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise errors.InvalidJson() from None
    return body.encode("utf-8", "surrogatepass")


def etag(revision: int) -> str:
    """The bin's revision as a strong entity tag: what If-Match takes back."""
    return f'"{revision}"'


def version_etag(object_key: str) -> str:
    """A kept version's entity tag: it names the stored body, not the version's number (a reset of
    the versions renumbers them), so it never changes, and never matches a revision's."""
    return f'"v{hashlib.sha256(object_key.encode()).hexdigest()[:24]}"'


def bool_header(name: str, value: str | None) -> bool | None:
    """A true/false header (any case, spaces ignored); None when absent."""
    if value is None:
        return None
    normalized = value.strip().lower()
    if normalized in ("true", "false"):
        return normalized == "true"
    raise errors.InvalidHeader(f"{name} must be true or false")


def flag(event: APIGatewayProxyEventV2, name: str) -> bool | None:
    """The true/false header `name` of the request; None when absent."""
    return bool_header(name, header(event, name))


def expected_revisions(event: APIGatewayProxyEventV2) -> frozenset[str] | None:
    """The entity tags If-Match accepts, as the strings between their quotes; None when any will do.

    Compared with the bin's ETag as strings (RFC 9110's strong comparison): `"02"` is not `"2"`, and
    a tag is never read as a number, however long. A weak tag (`W/"2"`) or a malformed one matches
    nothing, so the update is refused with 412 rather than applied unconditionally.
    """
    value = header(event, "If-Match")
    if value is None or value.strip() == "*":
        return None
    tags = (tag.strip() for tag in value.split(","))
    return frozenset(tag[1:-1] for tag in tags if len(tag) >= 2 and tag[0] == tag[-1] == '"')


def bin_metadata(bin, **extra) -> dict:
    """A bin's metadata as JSONBin shows it; name and collection only when the bin has them."""
    metadata = {"id": bin.bin_id, "private": bin.private, "createdAt": bin.created_at}
    if bin.name is not None:
        metadata["name"] = bin.name
    if bin.collection_id is not None:
        metadata["collectionId"] = bin.collection_id
    return {**metadata, **extra}
