"""The API over HTTP, as `make run` serves it: SAM's API Gateway emulation in front of the handler."""

import json
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from binstore import bins
from binstore.access import Credentials
from local.template import load_template
from tests.support import ROOT
from tests.support.store import stored_record

BINCTL = ROOT / ".venv" / "bin" / "binctl"
JSON = {"Content-Type": "application/json"}


def test_the_printed_curl_line_updates_the_demo_bin(local_stack):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    result = subprocess.run(shlex.split(local_stack.curl_line), capture_output=True, text=True, timeout=30)
    assert json.loads(result.stdout) == {
        "record": {"sample": "Hello again"},
        "metadata": {"parentId": local_stack.bin_id, "private": True},
    }


def test_update_over_http(local_stack):
    status, headers, body = local_stack.request(
        "PUT", f"/v3/b/{local_stack.bin_id}", b'{"over": "http"}',
        {**JSON, "X-Master-Key": local_stack.master_key})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["record"] == {"over": "http"}
    assert stored_record(local_stack.store(), local_stack.bin_id) == {"over": "http"}


@pytest.mark.parametrize("path, body, headers, status, message", [
    ("/v3/b/{bin}", b'{"a": 1}', {"Content-Type": "text/plain"}, 400,
     "You need to pass Content-Type set to application/json"),
    ("/v3/b/not-a-bin", b'{"a": 1}', JSON, 400, "Invalid Bin Id provided"),
    ("/v3/b/{bin}", b"", JSON, 400, "Bin cannot be blank"),
    ("/v3/b/0123456789abcdef01234567", b'{"a": 1}', JSON, 404, "Bin not found"),
    ("/v3/b/{bin}", b'{"a": 1}', JSON, 401, "You need to pass X-Master-Key in the header to update a private bin"),
    ("/v3/b/{bin}", b'{"a": 1}', {**JSON, "X-Master-Key": "wrong"}, 401,
     "Invalid X-Master-Key provided or the bin does not belong to your account"),
    ("/v3/b/{bin}", b'{"a": "\xff"}', JSON, 400, "Invalid JSON. Please try again"),
])
def test_errors_over_http_are_json_with_cors_headers(local_stack, path, body, headers, status, message):
    response_status, response_headers, response_body = local_stack.request(
        "PUT", path.format(bin=local_stack.bin_id), body, {**headers, "Origin": "https://app.example"})
    assert (response_status, json.loads(response_body)) == (status, {"message": message})
    assert response_headers["Access-Control-Allow-Origin"] == "*"


def test_browser_preflight_for_the_api_headers_succeeds(local_stack):
    status, headers, _ = local_stack.request("OPTIONS", f"/v3/b/{local_stack.bin_id}", headers={
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-master-key,x-bin-versioning",
    })
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    allowed = headers["Access-Control-Allow-Headers"].lower().split(",")
    assert {"content-type", "x-master-key", "x-bin-versioning"} <= set(allowed)


def template_cors() -> tuple[dict, str]:
    """The HTTP API's CorsConfiguration as template.yaml declares it, and its allowed origin (the
    parameter's default, which make run deploys)."""
    template = load_template()
    cors = next(resource["Properties"]["CorsConfiguration"] for resource in template["Resources"].values()
                if resource["Type"] == "AWS::Serverless::HttpApi")
    return cors, template["Parameters"][cors["AllowOrigins"]["Ref"]]["Default"]


def test_every_cors_setting_the_template_declares_is_answered(local_stack):
    cors, origin = template_cors()
    status, preflight, _ = local_stack.request("OPTIONS", f"/v3/b/{local_stack.bin_id}", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": ",".join(cors["AllowHeaders"])})
    assert status == 200 and preflight["Access-Control-Allow-Origin"] == origin
    assert set(preflight["Access-Control-Allow-Methods"].split(",")) == set(cors["AllowMethods"])
    assert set(preflight["Access-Control-Allow-Headers"].lower().split(",")) == set(cors["AllowHeaders"])
    assert preflight["Access-Control-Max-Age"] == str(cors["MaxAge"])

    # What a page may read of an answer: ETag (to send If-Match) among them.
    status, answered, _ = local_stack.request("GET", f"/v3/b/{local_stack.bin_id}/latest", headers={
        "Origin": "https://app.example", "X-Master-Key": local_stack.master_key})
    assert status == 200 and answered["Access-Control-Allow-Origin"] == origin
    assert answered["Access-Control-Expose-Headers"].split(",") == cors["ExposeHeaders"]
    assert "ETag" in answered


def test_unknown_route_is_a_json_404(local_stack):
    status, _, body = local_stack.request("GET", "/nothing/here")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_concurrent_versioned_updates_over_http_lose_nothing(local_stack):
    store = local_stack.store()
    bin_id = bins.create_bin(store, Credentials(master_key=local_stack.master_key), b'{"n": 0}').bin.bin_id
    headers = {**JSON, "X-Master-Key": local_stack.master_key, "X-Bin-Versioning": "true"}

    def update(n):
        return local_stack.request("PUT", f"/v3/b/{bin_id}", json.dumps({"n": n}).encode(), headers)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(update, range(1, 9)))

    assert statuses == [200] * 8
    assert store.bins.get(bin_id).version_count == 8


def test_handler_stays_imported_between_requests(local_stack):
    """Sequential requests reuse a warm worker: its module imports (cold start) happen once."""
    before = local_stack.logs().count('"cold_start":true')
    for _ in range(5):
        local_stack.request("PUT", f"/v3/b/{local_stack.bin_id}", b'{"warm": true}',
                            {**JSON, "X-Master-Key": local_stack.master_key})
    after = local_stack.logs()
    assert after.count('"cold_start":false') >= 4
    assert after.count('"cold_start":true') - before <= 1


def binctl(local_stack, *args) -> dict:
    env = {"PATH": "/usr/bin:/bin", **local_stack.aws_environment}
    result = subprocess.run([str(BINCTL), *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_binctl_provisions_into_the_running_stack(local_stack, tmp_path):
    account = binctl(local_stack, "account", "create", "--plan", "pro", "--requests", "50")
    assert account["plan"] == "pro" and account["requestsRemaining"] == 50
    key = account["masterKey"]

    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps({"type": "object", "properties": {"count": {"type": "integer"}}}))
    schema_id = binctl(local_stack, "schema", "create", "--master-key", key, "--file", str(schema_file))["id"]
    collection_id = binctl(local_stack, "collection", "create", "--master-key", key,
                           "--schema-doc", schema_id)["id"]
    bin_id = binctl(local_stack, "bin", "create", "--master-key", key, "--collection", collection_id,
                    "--data", '{"count": 1}')["id"]

    headers = {**JSON, "X-Master-Key": key, "X-Bin-Versioning": "true"}
    status, _, body = local_stack.request("PUT", f"/v3/b/{bin_id}", b'{"count": "two"}', headers)
    assert status == 400 and json.loads(body)["message"].startswith('Schema Doc Validation Mismatch: count:"two"')
    assert local_stack.request("PUT", f"/v3/b/{bin_id}", b'{"count": 2}', headers)[0] == 200

    latest = binctl(local_stack, "bin", "get", bin_id)
    base = binctl(local_stack, "bin", "get", bin_id, "--version", "0")
    assert latest["record"] == {"count": 2} and latest["metadata"]["versionCount"] == 1
    assert base["record"] == {"count": 1} and base["metadata"]["version"] == 0


def test_binctl_failure_is_a_message_on_stderr_and_a_nonzero_exit(local_stack):
    env = {"PATH": "/usr/bin:/bin", **local_stack.aws_environment}
    result = subprocess.run([str(BINCTL), "bin", "get", "0123456789abcdef01234567"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Bin not found" in result.stderr
