"""Usage Logs API (/v3/l) through the Lambda handler: the line each request prints, its delivery as
template.yaml's pipeline partitions it (local/usage_delivery.py, with the template's own filter and
jq query), and the routes that list and serve the days."""

import base64
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from tests.support.events import api_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import UNKNOWN_ID, Account, master

NO_KEY = "You need to pass X-Master-Key in the header"


@pytest.fixture
def handler(store, monkeypatch):
    """The handler's whole answer (a zip's body is base64, as API Gateway gets it) and what it printed."""
    import api_handler as app

    monkeypatch.setattr(app, "store", store)
    return lambda event: app.lambda_handler(event, lambda_context())


@pytest.fixture
def usage_lines(capsys):
    """The usage lines printed since the last call."""

    def lines() -> list[str]:
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"usage"')]

    return lines


@pytest.fixture
def deliver(store, usage_lines):
    """Deliver the printed usage lines as the pipeline would; return them."""
    from local.usage_delivery import UsagePipeline

    pipeline = UsagePipeline()

    def run() -> list[str]:
        lines = usage_lines()
        pipeline.deliver(store.s3, lines)
        return lines

    return run


def unzipped(answer: dict) -> tuple[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(answer["body"])))
    (name,) = archive.namelist()
    return name, [json.loads(line) for line in archive.read(name).decode().splitlines()]


def today() -> str:
    return datetime.now(UTC).strftime("%d-%m-%Y")


def test_each_request_on_an_account_prints_one_usage_line_with_no_key_and_no_body(invoke, pro, usage_lines):
    usage_lines()
    bin_id = pro.create_bin({"secret": "body-marker"})
    access = pro.create_access_key("read")
    invoke(update_event(bin_id, b'{"secret": "new-body-marker"}', master(pro)))
    invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": access}))
    invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": access}, **{}))
    invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers={"X-Access-Key": access}))  # refused: no permission
    invoke(api_event("GET", "/v3/c", headers=master(pro)))
    lines = usage_lines()
    records = [json.loads(line)["usage"] for line in lines]
    assert [(r["method"], r["status"], r["binId"]) for r in records] == [
        ("PUT", 200, bin_id), ("GET", 200, bin_id), ("GET", 200, bin_id), ("DELETE", 403, bin_id), ("GET", 200, None)]
    assert {r["account"] for r in records} == {pro.account_id}
    assert {r["day"] for r in records} == {datetime.now(UTC).date().isoformat()}
    assert all(r["time"].endswith("Z") and set(r) == {"account", "day", "time", "method", "route", "binId", "status"}
               for r in records)
    text = "\n".join(lines)
    for secret in (pro.master_key.split(".")[2], access.split(".")[2], "body-marker"):
        assert secret not in text


def test_a_request_that_reaches_no_account_is_in_nobodys_log(invoke, pro, usage_lines):
    usage_lines()
    invoke(api_event("GET", f"/v3/b/{UNKNOWN_ID}", headers=master(pro)))  # no such bin
    invoke(api_event("GET", "/v3/c", headers={}))  # no key
    invoke(api_event("GET", "/v3/c", headers={"X-Master-Key": "bogus"}))
    assert usage_lines() == []


def routed(event: dict, route: str) -> dict:
    """The event as API Gateway sends it: its routeKey is the template's route, not the path."""
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{event['requestContext']['http']['method']} {route}"
    return event


def test_the_routes_list_the_days_and_serve_a_days_lines_as_a_zip(invoke, handler, store, pro, deliver):
    bin_id = pro.create_bin({"n": 1})
    invoke(update_event(bin_id, b'{"n": 2}', master(pro)))
    invoke(routed(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)), "/v3/b/{binId}"))
    other = Account(store, "pro")
    invoke(api_event("GET", "/v3/c", headers=master(other)))
    delivered = deliver()
    assert len(delivered) == 3
    before = pro.requests_remaining

    assert invoke(api_event("GET", "/v3/l", headers=master(pro))) == (200, {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff"},
                                                                      {"logs": [today()]})
    answer = handler(api_event("GET", f"/v3/l/{today()}", headers=master(pro)))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert answer["headers"]["Content-Type"] == "application/zip"
    assert answer["headers"]["Content-Disposition"] == f'attachment; filename="usage-{today()}.zip"'
    name, lines = unzipped(answer)
    assert name == f"{today()}.log"
    assert [(line["method"], line["route"], line["binId"], line["status"]) for line in lines] == [
        ("PUT", "/v3/b/{binId}", bin_id, 200), ("GET", "/v3/b/{binId}", bin_id, 200)]
    assert all(list(line) == ["time", "method", "route", "binId", "status"] for line in lines)
    assert pro.requests_remaining == before - 2  # each route spends a request, as every JSONBin read
    # Another account sees its own day only.
    name, lines = unzipped(handler(api_event("GET", f"/v3/l/{today()}", headers=master(other))))
    assert [line["route"] for line in lines] == ["/v3/c"]


def test_days_are_listed_newest_first_and_a_day_is_written_as_jsonbin_writes_it(invoke, store, pro):
    from binstore.storage.usage import day_prefix

    for day in ("2026-01-31", "2026-11-02", "2025-12-25"):
        line = json.dumps({"usage": {"account": pro.account_id, "day": day, "time": f"{day}T10:00:00.000Z",
                                     "method": "GET", "route": "/v3/c", "binId": None, "status": 200}})
        key = day_prefix(pro.account_id, datetime.fromisoformat(day).date()) + "object"
        store.s3.put_object(Bucket=store.settings.usage_logs_bucket, Key=key, Body=line.encode() + b"\n")
    assert invoke(api_event("GET", "/v3/l", headers=master(pro)))[2] == {
        "logs": ["02-11-2026", "31-01-2026", "25-12-2025"]}


def test_lines_from_several_objects_come_out_in_time_order_and_stray_lines_are_left_out():
    from binstore.usage import user_lines

    def line(time, status):
        return json.dumps({"usage": {"account": "a", "day": "2026-11-26", "time": time, "method": "GET",
                                     "route": "/v3/c", "binId": None, "status": status}}).encode()

    first = line("2026-11-26T10:00:02.000Z", 200) + b"\n" + b"not json\n\n" + b'{"usage": {"time": 1}}\n'
    second = line("2026-11-26T10:00:01.000Z", 404) + b"\n" + b'["usage"]\n'
    lines = user_lines([first, second], "a", datetime(2026, 11, 26).date())
    assert [json.loads(text)["status"] for text in lines] == [404, 200]


@pytest.mark.parametrize("path, headers, status, message", [
    ("/v3/l", {}, 401, NO_KEY),
    ("/v3/l", {"X-Master-Key": "bogus"}, 401, "Invalid X-Master-Key provided"),
    ("/v3/l", None, 404, "No logs found"),
    ("/v3/l/01-01-2026", {}, 401, NO_KEY),
    ("/v3/l/01-01-2026", {"X-Master-Key": "bogus"}, 401, "Invalid X-Master-Key provided"),
    ("/v3/l/01-01-2026", None, 404, "Backup not found for 01-01-2026"),
    ("/v3/l/2026-01-01", None, 400, "The date must be written DD-MM-YYYY"),
    ("/v3/l/31-02-2026", None, 400, "The date must be written DD-MM-YYYY"),
    ("/v3/l/1-1-2026", None, 400, "The date must be written DD-MM-YYYY"),
    ("/v3/l/%2e%2e", None, 400, "The date must be written DD-MM-YYYY"),
    ("/v3/l/\uff12\uff16-11-2026", None, 400, "The date must be written DD-MM-YYYY"),  # fullwidth digits
    ("/v3/l/01-01-0001", None, 404, "Backup not found for 01-01-0001"),
])
def test_refusals_in_jsonbins_words_spend_nothing(invoke, pro, path, headers, status, message):
    before = pro.requests_remaining
    assert invoke(api_event("GET", path, headers=master(pro) if headers is None else headers))[::2] == (
        status, {"message": message})
    assert pro.requests_remaining == before


def test_an_access_key_may_not_read_usage_logs(invoke, pro):
    access = pro.create_access_key("create", "read", "update", "delete")
    for path in ("/v3/l", f"/v3/l/{today()}"):
        assert invoke(api_event("GET", path, headers={"X-Access-Key": access}))[::2] == (401, {"message": NO_KEY})


@pytest.mark.parametrize("limit", ["MAX_ZIP_BYTES", "MAX_DAY_BYTES"],
                         ids=["zip over what a Lambda answer carries", "day over what one request zips"])
def test_a_log_over_a_limit_is_refused_and_spends_nothing(invoke, pro, deliver, monkeypatch, limit):
    from binstore import usage

    invoke(api_event("GET", "/v3/c", headers=master(pro)))
    deliver()
    monkeypatch.setattr(usage, limit, 10)
    before = pro.requests_remaining
    status, _, body = invoke(api_event("GET", f"/v3/l/{today()}", headers=master(pro)))
    assert status == 422 and body["message"].startswith(f"The usage log of {today()} is over")
    assert pro.requests_remaining == before


def test_a_day_of_many_objects_comes_out_whole(invoke, handler, store, pro):
    """A busy account's day is an object a minute: all of them are read (in parallel), every line kept."""
    from binstore.storage.usage import day_prefix

    day = datetime.now(UTC).date()
    for minute in range(100):
        line = json.dumps({"usage": {"account": pro.account_id, "day": day.isoformat(),
                                     "time": f"{day.isoformat()}T10:{minute // 60:02d}:{minute % 60:02d}.000Z",
                                     "method": "GET", "route": "/v3/c", "binId": None, "status": 200}})
        store.s3.put_object(Bucket=store.settings.usage_logs_bucket, Key=f"{day_prefix(pro.account_id, day)}{minute:04d}",
                            Body=line.encode() + b"\n")
    _, lines = unzipped(handler(api_event("GET", f"/v3/l/{today()}", headers=master(pro))))
    assert len(lines) == 100 and lines == sorted(lines, key=lambda line: line["time"])


def test_a_line_stored_under_the_wrong_account_or_day_is_never_served(invoke, handler, store, pro):
    """Should the pipeline ever put a line in the wrong place, the route shows only the caller's own."""
    from binstore.storage.usage import day_prefix

    day = datetime.now(UTC).date()

    def line(account, on):
        return json.dumps({"usage": {"account": account, "day": on, "time": f"{on}T10:00:00.000Z", "method": "GET",
                                     "route": "/v3/c", "binId": None, "status": 200}})

    stray = "\n".join([line("another-account", day.isoformat()), line(pro.account_id, "2001-01-01")])
    key = day_prefix(pro.account_id, day) + "mixed"
    store.s3.put_object(Bucket=store.settings.usage_logs_bucket, Key=key, Body=stray.encode())
    assert invoke(api_event("GET", f"/v3/l/{today()}", headers=master(pro)))[::2] == (
        404, {"message": f"Backup not found for {today()}"})
    store.s3.put_object(Bucket=store.settings.usage_logs_bucket, Key=key,
                        Body=(stray + "\n" + line(pro.account_id, day.isoformat())).encode())
    _, lines = unzipped(handler(api_event("GET", f"/v3/l/{today()}", headers=master(pro))))
    assert len(lines) == 1


def test_strangers_refused_on_a_public_bin_are_in_nobodys_log_but_keyless_successes_are_the_owners(
        invoke, store, pro, usage_lines):
    bin_id = pro.create_bin({"n": 1}, private=False)
    other = Account(store, "pro")
    usage_lines()
    invoke(update_event(bin_id, b"{}"))  # keyless, refused (blank): free, so not in the owner's log
    invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(other)))  # another account's key: refused
    invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Master-Key": pro.master_key + "x"}))  # wrong key
    assert usage_lines() == []
    invoke(routed(api_event("GET", f"/v3/b/{bin_id}"), "/v3/b/{binId}"))  # keyless read: spends the owner's request
    (line,) = [json.loads(line)["usage"] for line in usage_lines()]
    assert (line["account"], line["binId"], line["status"]) == (pro.account_id, bin_id, 200)


def test_the_local_pipeline_applies_the_templates_filter_query_and_prefix(store):
    from local.template import load_template
    from local.usage_delivery import UsagePipeline

    destination = load_template()["Resources"]["UsageDeliveryStream"]["Properties"][
        "ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == "usage/!{partitionKeyFromQuery:account}/!{partitionKeyFromQuery:day}/"
    pipeline = UsagePipeline()
    usage = {"account": "acc", "day": "2026-11-26", "status": 200}
    assert pipeline.object_prefix({"usage": usage}) == "usage/acc/2026-11-26/"
    assert pipeline.matches(json.dumps({"usage": usage})) == {"usage": usage}
    # What the subscription filter drops: other log lines, and a line whose status is no number.
    for line in ('{"level": "INFO", "message": "Bin updated"}', "plain text", '{"usage": {"status": "200"}}',
                 '{"_aws": {"CloudWatchMetrics": []}}'):
        assert pipeline.matches(line) is None
    assert pipeline.deliver(store.s3, ["plain", json.dumps({"usage": usage})]) == 1
    (stored,) = store.s3.list_objects_v2(Bucket=store.settings.usage_logs_bucket, Prefix="usage/acc/2026-11-26/")[
        "Contents"]
    assert store.s3.get_object(Bucket=store.settings.usage_logs_bucket, Key=stored["Key"])["Body"].read() == (
        json.dumps({"usage": usage}).encode() + b"\n")
