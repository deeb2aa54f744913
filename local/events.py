"""Sample API Gateway events, made from the ones under events/: for the tests and the benchmark."""

import base64
import json

from local.template import ROOT

EVENTS_DIR = ROOT / "events"


def update_event(bin_id: str, body: bytes | str | None, headers: dict | None = None,
                 base64_body: bool = False) -> dict:
    """An API Gateway HTTP API (payload 2.0) event for PUT /v3/b/<bin_id>, from events/update-bin.json."""
    event = json.loads((EVENTS_DIR / "update-bin.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v3/b/{bin_id}"
    event["pathParameters"] = {"binId": bin_id}
    event["headers"] = {"content-type": "application/json", **(headers or {})}
    if isinstance(body, bytes):
        if base64_body:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"] = body.decode("utf-8")
    else:
        event["body"] = body
    return event
