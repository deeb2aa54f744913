"""API Gateway HTTP API (payload 2.0) events, made from the samples under events/."""

import base64
import json
import urllib.parse

from tests.support import EVENTS_DIR


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


def api_event(method: str, path: str, body=None, headers: dict | None = None, query: dict | None = None) -> dict:
    """An API Gateway HTTP API (payload 2.0) event for any route; `body` may be JSON-able or bytes."""
    event = json.loads((EVENTS_DIR / "update-bin.json").read_text())
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event.pop("pathParameters", None)
    event["headers"] = {name.lower(): value for name, value in (headers or {}).items() if value is not None}
    event["rawQueryString"] = "&".join(f"{name}={value}" for name, value in (query or {}).items())
    if query:
        event["queryStringParameters"] = query
    if body is None:
        event.pop("body", None)
    else:
        event["body"] = body.decode() if isinstance(body, bytes) else json.dumps(body)
        event["headers"].setdefault("content-type", "application/json")
    return event


def sample_event(name: str, bin_id: str | None = None, master_key: str | None = None) -> dict:
    """A sample event from events/ as `sam local invoke` sends it; for a route on a bin, aimed at `bin_id`,
    with `master_key` as its X-Master-Key when given."""
    event = json.loads((EVENTS_DIR / name).read_text())
    if bin_id is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v3/b/{bin_id}"
        event["pathParameters"] = {"binId": bin_id}
    if master_key is not None:
        event["headers"]["x-master-key"] = master_key
    return event


def json_path_event(bin_id: str, expression: str, headers: dict | None = None) -> dict:
    """GET /v3/b/<bin_id> with X-JSON-Path: `expression`."""
    return api_event("GET", f"/v3/b/{bin_id}", headers={"x-json-path": expression, **(headers or {})})


def console_event(path: str, headers: dict | None = None) -> dict:
    """A GET for the console's `path` (its raw path, as sent) as API Gateway hands it to ConsoleFunction:
    GET /console from events/console-page.json, anything under it from events/console-file.json, with
    the asset parameter decoded as API Gateway decodes path parameters."""
    page = path in ("/console", "/console/")
    event = json.loads((EVENTS_DIR / ("console-page.json" if page else "console-file.json")).read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["headers"] = {name.lower(): value for name, value in (headers or {}).items()}
    if not page:
        event["pathParameters"] = {"asset": urllib.parse.unquote(path.removeprefix("/console/"), errors="replace")}
    return event
