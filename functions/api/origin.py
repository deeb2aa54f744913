"""With the edge on (template.yaml's PerIpRequestLimit), a request must have come through CloudFront.

The execute-api URL stays public, and a request sent straight to it would skip the web ACL's per-IP
limit. CloudFront adds X-Origin-Verify, holding a generated secret, to every request it forwards;
the function is given the same value in ORIGIN_VERIFY_TOKEN and refuses, with 403, any request
that does not carry it, before any route runs: nothing is read, stored or charged. Without the
variable (the edge off, `make run`, the tests) every request is served, as before the edge.
The value is compared in constant time and never logged.
"""

import hmac
import os

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from binstore import errors
from http_helpers import header

HEADER = "X-Origin-Verify"
VARIABLE = "ORIGIN_VERIFY_TOKEN"


class NotThroughTheEdge(errors.Forbidden):
    message = "Call the API at its published address: this one is not served directly"


def came_through_the_edge(given: str | None, expected: str) -> bool:
    """`given` is the value CloudFront sends, or no value is expected at all."""
    if not expected:
        return True
    # Bytes, so any text compares (compare_digest refuses non-ASCII str) in time independent of it.
    return given is not None and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def require_the_edge(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """The resolver's first middleware: every request, routed or not, passes here first."""
    if not came_through_the_edge(header(app.current_event, HEADER), os.environ.get(VARIABLE, "")):
        raise NotThroughTheEdge()
    return next_middleware(app)
