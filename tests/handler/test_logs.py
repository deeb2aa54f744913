"""What the logs hold: ids and reasons, never a key, a record, or anything else a caller sent.

Logged as Lambda writes it (Powertools' JSON), with our loggers and Powertools' at DEBUG: the most an
operator can turn on (POWERTOOLS_LOG_LEVEL).
"""

import io
import json

from botocore.exceptions import ClientError
from tests.support.events import api_event, json_path_event, update_event
from tests.support.store import UNKNOWN_ID, master

SECRET_RECORD = "tr0ub4dor-record-body-marker"


def test_a_full_request_cycle_logs_no_key_and_no_record(invoke, store, pro, free, debug_logs, monkeypatch):
    """Every route a key and a record pass through, refusals and a storage failure included."""
    from binstore import keys

    access_key = pro.create_access_key("create", "read", "update", "delete")
    body = {"secret": SECRET_RECORD}
    status, _, created = invoke(api_event("POST", "/v3/b", body, {**master(pro), "idempotency-key": "k1"}))
    assert status == 200
    bin_id = created["metadata"]["id"]
    for event in [
        update_event(bin_id, json.dumps(body).encode(), {**master(pro), "x-bin-versioning": "true"}),
        update_event(bin_id, json.dumps(body).encode(), {"x-access-key": access_key, "idempotency-key": "k2"}),
        update_event(bin_id, json.dumps(body).encode(), {"x-master-key": pro.master_key + "x"}),  # refused
        api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)),
        api_event("GET", f"/v3/b/{bin_id}/1", headers={"x-access-key": access_key}),
        api_event("GET", f"/v3/b/{bin_id}", headers=master(free)),  # refused
        update_event(bin_id, b'{"secret": "' + SECRET_RECORD.encode() + b'"', master(pro)),  # invalid JSON
        api_event("POST", "/v3/s", {"type": "object", "description": SECRET_RECORD}, master(pro)),
    ]:
        assert invoke(event)[0] in (200, 400, 401)

    def failing(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutObject")

    monkeypatch.setattr(store.s3, "put_object", failing)
    assert invoke(update_event(bin_id, json.dumps(body).encode(), master(pro)))[0] == 503
    monkeypatch.undo()
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 200

    logs = debug_logs()
    assert '"bin_id"' in logs and bin_id in logs  # the JSON lines, extra fields and all, naming the bin
    assert "Bin updated" in logs and "Request refused" in logs and "Storage unavailable" in logs  # logs were captured
    for secret in (pro.master_key, access_key, free.master_key, keys.parse_key(pro.master_key).secret,
                   keys.parse_key(access_key).secret, SECRET_RECORD):
        assert secret not in logs


def test_template_never_turns_on_event_logging():
    """POWERTOOLS_LOGGER_LOG_EVENT would log every request's headers, keys included."""
    from local.template import load_template

    assert "LOG_EVENT" not in json.dumps(load_template())


def test_a_request_logs_no_bin_id_of_an_earlier_one(invoke, pro):
    import api_handler as app

    bin_id = pro.create_bin()
    invoke(update_event(bin_id, b'{"a": 1}', master(pro)))
    event = update_event(UNKNOWN_ID, b"{}")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v3/nothing-here"
    buffer = io.StringIO()
    previous = app.logger.registered_handler.setStream(buffer)
    try:
        invoke(event)
        app.logger.info("probe after a request that names no bin")
    finally:
        app.logger.registered_handler.setStream(previous)
    last_line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert "bin_id" not in last_line


def test_logs_name_a_bin_only_by_a_well_formed_id(invoke, pro, debug_logs):
    marker = "SECRET-MARKER-abc"
    assert invoke(api_event("GET", f"/v3/b/{marker}/latest", headers=master(pro)))[0] == 400
    # Our own lines (Powertools' router, at DEBUG, prints the path it matched: a debugging aid).
    refused = [line for line in debug_logs().splitlines() if "Request refused" in line]
    assert refused and not any(marker in line for line in refused)


def test_errors_log_no_schema_text_no_ref_and_no_expression(invoke, store, pro, fetches, debug_logs, monkeypatch):
    import bin_routes

    marker = "attacker-supplied-7f3a"
    ref = f"http://{marker}.example/schema.json"
    invoke(api_event("POST", "/v3/s", {"description": marker, "$ref": ref}, {**master(pro), "x-schema-doc-name": "S"}))
    bin_id = pro.create_bin()
    invoke(json_path_event(bin_id, f"$..{marker}[?(@.x =~ '{marker}')]", master(pro)))

    def crash(*_args, **_kwargs):
        raise ValueError(f"an internal error quoting the caller: {marker}")

    monkeypatch.setattr(bin_routes, "compile_path", crash)
    status, _, body = invoke(json_path_event(bin_id, "$.a", master(pro)))
    assert (status, body) == (500, {"message": "Internal server error"})

    logs = debug_logs()
    assert "Unexpected error" in logs and "ValueError" in logs and "Request refused" in logs
    assert marker not in logs
