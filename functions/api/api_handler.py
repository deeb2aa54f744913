"""Lambda entry point for the JSONBin v3 API: routing and error envelopes in one place.

Each resource's routes live in their own module (bin_routes, collection_routes, schema_doc_routes,
access_key_routes, usage_routes); what a request means lives in binstore. Every refusal, whichever route raised
it, leaves here as `{"message": ...}` with its status.
"""

import traceback
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

import access_key_routes
import bin_routes
import collection_routes
import origin
import schema_doc_routes
import usage_routes
from binstore import attribution, errors, randomness, usage
from binstore.model import StorageUnavailable
from binstore.storage import Store, clients
from http_helpers import json_response, message

logger = Logger()
metrics = Metrics()
# Off unless the stack's Tracing parameter is Active (POWERTOOLS_TRACE_DISABLED, docs/operations.md);
# then each AWS call is a subsegment. Only boto3 is patched: patching every library X-Ray knows
# would import them all at cold start. No answer is captured: it holds a record, users' data.
tracer = Tracer(patch_modules=["boto3"])
app = APIGatewayHttpResolver()
# Before any route: with the edge on, a request that did not come through CloudFront is refused here.
app.use(middlewares=[origin.require_the_edge])
app.include_router(bin_routes.router)
app.include_router(collection_routes.router)
app.include_router(schema_doc_routes.router)
app.include_router(access_key_routes.router)
app.include_router(usage_routes.router)
# One per container: its clients, made on first use, serve every request. A resource name missing
# from the environment fails here, at cold start.
store = Store.from_environment()

_STATUS = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.Unprocessable: 422,
    errors.Busy: 503,
}


@app.exception_handler(errors.BinStoreError)
def refused(error: errors.BinStoreError) -> Response:
    status = next(code for category, code in _STATUS.items() if isinstance(error, category))
    logger.info("Request refused", extra={"status": status, "reason": type(error).__name__})
    metrics.add_metric(name="RequestRefused", unit=MetricUnit.Count, value=1)
    return json_response({"message": error.message, **error.details}, status)


@app.not_found
def route_not_found(_: NotFoundError) -> Response:
    # API Gateway itself answers paths and methods the template does not route; this answers the
    # same way for anything that reaches the function unrouted.
    metrics.add_metric(name="RequestRefused", unit=MetricUnit.Count, value=1)
    return message(404, "Not Found")  # as API Gateway words it for a route it does not have


def _failure(error: BaseException) -> dict:
    """What the logs say of an error: its type, AWS's error code, and where it was raised.

    Never its message or its traceback's text: those can carry what a caller sent (a schema doc's
    `$ref`, part of a record, an expression), and logs must hold ids and reasons only.
    """
    if isinstance(error, StorageUnavailable):
        error_type, error_code = error.error_type, error.error_code  # the AWS error's, as storage named it
    else:
        error_type, error_code = type(error).__name__, None
    # storage's aws_call wrapper adds a frame per storage call: it says nothing of where, so it is left out.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != clients.__file__]
    return {
        "error_type": error_type,
        "error_code": error_code,
        "raised_at": [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}" for frame in frames[-5:]],
    }


@app.exception_handler(StorageUnavailable)
def storage_unavailable(error: StorageUnavailable) -> Response:
    # DynamoDB or S3 failed after botocore's retries. Nothing half-done is visible (a record is
    # switched by one transaction), so the caller can retry; with an Idempotency-Key, safely.
    logger.error("Storage unavailable", extra=_failure(error))
    metrics.add_metric(name="StorageUnavailable", unit=MetricUnit.Count, value=1)
    return message(503, "The service could not reach its storage: retry the request")


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    # Logged with where it happened for the operator; the caller gets no internals.
    logger.error("Unexpected error", extra=_failure(error))
    metrics.add_metric(name="UnexpectedError", unit=MetricUnit.Count, value=1)
    return message(500, "Internal server error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    randomness.reseed_shared_generator_once()  # SnapStart: see binstore/randomness.py
    attribution.begin_request()
    app.append_context(store=store)  # cleared by resolve() when the request ends
    answer = app.resolve(event, context)
    # Every answer is data, never a script or a page to sniff: a browser must not run a record
    # (GET /v3/b/<id>?meta=false answers the bare record) whatever is in it.
    answer.setdefault("headers", {})["X-Content-Type-Options"] = "nosniff"
    _print_usage_line(event, answer)
    return answer


def _print_usage_line(event: dict, answer: dict) -> None:
    """The request's usage line, for its account's usage log (binstore.usage). Printed, not logged:
    the log level must never drop it, and the pipeline that delivers it reads the function's output
    (template.yaml's UsageSubscription); no AWS call on the request path."""
    method, _, route = str(event.get("routeKey", "")).partition(" ")
    line = usage.usage_line(datetime.now(UTC), method, route, int(answer["statusCode"]))
    if line is not None:
        print(line, flush=True)
