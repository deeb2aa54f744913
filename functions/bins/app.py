"""Lambda entry point for the Bins API: HTTP in, one domain call, HTTP out.

Routing, headers and status codes live here; what a request means lives in binstore.
"""

import base64
import binascii
import json

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from binstore import errors
from binstore.storage import Store
from binstore.updates import UpdateRequest, parse_versioning_header, update_bin

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver()
store = Store.from_environment()  # clients made once per container, reused by every request

_STATUS = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Busy: 503,
}
JSON = "application/json"


def _compact(value) -> str:
    # Compact, as JSONBin (Express) writes its responses.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _message(status: int, message: str) -> Response:
    return Response(status, JSON, _compact({"message": message}))


def _is_json(content_type: str | None) -> bool:
    # Parameters such as "; charset=utf-8" are fine; the media type is case-insensitive.
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == JSON


def _body_bytes() -> bytes:
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise errors.InvalidJson() from None
    return body.encode("utf-8", "surrogatepass")


@app.put("/v3/b/<bin_id>")
def update(bin_id: str) -> Response:
    event = app.current_event
    logger.append_keys(bin_id=bin_id)
    if not _is_json(event.headers.get("content-type")):
        raise errors.ContentTypeRequired()
    request = UpdateRequest(
        bin_id=bin_id,
        body=_body_bytes(),
        master_key=event.headers.get("x-master-key"),
        versioning=parse_versioning_header(event.headers.get("x-bin-versioning")),
    )
    result = update_bin(store, request)
    metrics.add_metric(name="BinUpdated", unit=MetricUnit.Count, value=1)
    if result.versioned:
        metrics.add_metric(name="VersionKept", unit=MetricUnit.Count, value=1)
    logger.info("Bin updated", extra={"revision": result.bin.revision, "versioned": result.versioned,
                                      "bytes": len(request.body)})
    metadata = _compact({"parentId": result.bin.bin_id, "private": result.bin.private})
    # The record is spliced in as the JSON text already made for S3: serialised once, not twice.
    return Response(200, JSON, f'{{"record":{result.record.json_text},"metadata":{metadata}}}')


@app.exception_handler(errors.BinStoreError)
def refused(error: errors.BinStoreError) -> Response:
    status = next(code for category, code in _STATUS.items() if isinstance(error, category))
    logger.info("Request refused", extra={"status": status, "reason": type(error).__name__})
    metrics.add_metric(name="RequestRefused", unit=MetricUnit.Count, value=1)
    return _message(status, error.message)


@app.not_found
def route_not_found(_: NotFoundError) -> Response:
    metrics.add_metric(name="RequestRefused", unit=MetricUnit.Count, value=1)
    return _message(404, "Not Found")  # as API Gateway words it for a route it does not have


@app.exception_handler(Exception)
def unexpected(_: Exception) -> Response:
    # Logged with its traceback for the operator; the caller gets no internals.
    logger.exception("Unexpected error")
    metrics.add_metric(name="UnexpectedError", unit=MetricUnit.Count, value=1)
    return _message(500, "Internal server error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
