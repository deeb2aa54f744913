"""A client written for JSONBin v3, pointed at `make run`'s URL: only the base URL and key change.

The client below speaks JSONBin v3 as its documentation describes it (routes, headers, envelopes,
version numbers) and knows nothing of this project. Between them, the tests here call every route of
the JSON API template.yaml serves (checked at the end), so "every route works with a JSONBin client"
is measured.
"""

import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime

import pytest
from tests.support.routes import api_routes

CALLED: set[tuple[str, str]] = set()  # (method, route as template.yaml declares it), as the tests call them


def _template_routes() -> dict[tuple[str, str], re.Pattern]:
    """The JSON API's routes (the web console's page and files are no JSONBin route: tests/http/test_console.py)."""
    return {(method, path): re.compile(re.sub(r"\{\w+\}", "[^/]+", path) + r"(\?.*)?") for method, path in api_routes()}


ROUTES = _template_routes()


class JsonBinClient:
    """The calls a JSONBin v3 client library makes, over plain HTTP."""

    def __init__(self, stack, master_key: str | None = None, access_key: str | None = None):
        self.stack = stack
        self.keys = {}
        if master_key:
            self.keys["X-Master-Key"] = master_key
        if access_key:
            self.keys["X-Access-Key"] = access_key

    def call(self, method: str, path: str, record=None, **headers) -> tuple[int, dict | list]:
        body = None if record is None else json.dumps(record).encode()
        sent = {**self.keys, **{name.replace("_", "-"): value for name, value in headers.items()}}
        if body is not None:
            sent["Content-Type"] = "application/json"
        status, _, text = self.download(method, path, body, sent)
        return status, json.loads(text)

    def download(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """The answer as sent: (status, headers, bytes)."""
        answer = self.stack.request_bytes(method, "/v3" + path, body, {**self.keys, **(headers or {})})
        # The most specific route a request matches (a literal segment beats a parameter).
        matches = [route for route, pattern in ROUTES.items() if route[0] == method and pattern.fullmatch("/v3" + path)]
        if matches:
            CALLED.add(min(matches, key=lambda route: route[1].count("{")))
        return answer


def test_a_jsonbin_client_works_unchanged_end_to_end(local_stack):
    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    anonymous = JsonBinClient(local_stack)

    status, created = owner.call("POST", "/b", {"sample": "Hello World"}, X_Bin_Name="settings")
    assert status == 200, created
    bin_id = created["metadata"]["id"]
    assert created["record"] == {"sample": "Hello World"}
    assert created["metadata"]["private"] is True and created["metadata"]["name"] == "settings"
    assert owner.call("POST", "/b", {}) == (400, {"message": "Bin cannot be blank"})

    for n in (1, 2):
        status, updated = owner.call("PUT", f"/b/{bin_id}", {"sample": n}, X_Bin_Versioning="true")
        assert (status, updated) == (
            200, {"record": {"sample": n}, "metadata": {"parentId": bin_id, "private": True, "version": n}})

    # JSONBin's numbering: the base record is version 0, the latest is the highest.
    assert owner.call("GET", f"/b/{bin_id}/latest")[1]["record"] == {"sample": 2}
    assert owner.call("GET", f"/b/{bin_id}/0")[1]["record"] == {"sample": "Hello World"}
    assert owner.call("GET", f"/b/{bin_id}/1")[1]["record"] == {"sample": 1}
    assert owner.call("GET", f"/b/{bin_id}/2")[1]["record"] == {"sample": 2}
    assert owner.call("GET", f"/b/{bin_id}/versions/count") == (
        200, {"metadata": {"id": bin_id, "versionCount": 2, "private": True}})

    assert anonymous.call("GET", f"/b/{bin_id}") == (
        401, {"message": "You need to pass X-Master-Key or X-Access-Key in the header to read a private bin"})
    assert owner.call("PUT", f"/b/{bin_id}/meta/privacy", X_Bin_Private="false") == (
        200, {"record": bin_id, "metadata": {"private": False}})
    assert owner.call("PUT", f"/b/{bin_id}/meta/name", X_Bin_Name="renamed") == (
        200, {"record": bin_id, "metadata": {"name": "renamed"}})
    status, read = anonymous.call("GET", f"/b/{bin_id}")
    assert status == 200 and read["record"] == {"sample": 2} and read["metadata"]["private"] is False
    assert anonymous.call("GET", f"/b/{bin_id}?meta=false") == (200, {"sample": 2})

    status, deleted = owner.call("DELETE", f"/b/{bin_id}/versions", X_Preserve_Latest="true")
    assert (status, deleted["metadata"]) == (200, {"id": bin_id, "versionsDeleted": 2})
    assert owner.call("GET", f"/b/{bin_id}/0")[1]["record"] == {"sample": 2}
    assert owner.call("DELETE", f"/b/{bin_id}") == (
        200, {"metadata": {"id": bin_id, "versionsDeleted": 0}, "message": "Bin deleted successfully"})
    assert anonymous.call("GET", f"/b/{bin_id}") == (404, {"message": "Bin not found or it doesn't belong to your account"})


def test_collections_schema_docs_and_listings_over_http(local_stack):
    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    status, doc = owner.call("POST", "/s", {"type": "object", "required": ["name"]}, X_Schema_Doc_Name="Users")
    assert status == 200 and doc["metadata"]["name"] == "Users"
    doc_id = doc["metadata"]["id"]
    assert owner.call("GET", f"/s/{doc_id}")[1]["record"] == {"type": "object", "required": ["name"]}
    status, collection = owner.call("POST", "/c", X_Collection_Name="People")
    assert status == 200 and collection["metadata"]["name"] == "People"
    collection_id = collection["record"]
    status, attached = owner.call("PUT", f"/c/{collection_id}/schemadoc/add", X_Schema_Doc_Id=doc_id)
    assert status == 200 and attached["schemaDocId"] == doc_id

    status, refused = owner.call("POST", "/b", {"age": 3}, X_Collection_Id=collection_id)
    assert status == 400 and refused["message"].startswith("Schema Doc Validation Mismatch: name:undefined")
    made = [owner.call("POST", "/b", {"name": f"n{n}"}, X_Collection_Id=collection_id)[1]["metadata"]["id"]
            for n in range(12)]

    # Renames, as JSONBin's samples make them: the header on its route, or on PUT /s/<id> with {}.
    assert owner.call("PUT", f"/c/{collection_id}/meta/name", X_Collection_Name="Humans") == (
        200, {"record": collection_id, "metadata": {"name": "Humans"}})
    assert owner.call("PUT", f"/s/{doc_id}/meta/name", X_Schema_Doc_Name="Persons")[1] == {
        "metadata": {"id": doc_id, "name": "Persons"}}
    status, renamed = owner.call("PUT", f"/s/{doc_id}", {}, X_Schema_Doc_Name="People")
    assert status == 200 and renamed["metadata"]["name"] == "People"
    assert renamed["record"] == {"type": "object", "required": ["name"]}  # the schema is kept
    status, changed = owner.call("PUT", f"/s/{doc_id}", {"type": "object"})
    assert status == 200 and changed["record"] == {"type": "object"}

    status, listed = owner.call("GET", "/c")
    assert status == 200
    assert {"record": collection_id, "collectionMeta": {"name": "Humans"}, "schemaDocId": doc_id,
            "createdAt": collection["metadata"]["createdAt"]} in listed
    status, first = owner.call("GET", f"/c/{collection_id}/bins")
    assert status == 200 and [item["record"] for item in first] == made[::-1][:10]
    assert set(first[0]) == {"snippetMeta", "private", "record", "createdAt"}
    _, second = owner.call("GET", f"/c/{collection_id}/bins/{first[-1]['record']}")
    assert [item["record"] for item in second] == made[::-1][10:]
    _, oldest = owner.call("GET", f"/c/{collection_id}/bins", X_Sort_Order="ascending")
    assert [item["record"] for item in oldest] == made[:10]
    loose = owner.call("POST", "/b", {"loose": True})[1]["metadata"]["id"]
    _, uncategorized = owner.call("GET", "/c/uncategorized/bins")
    assert uncategorized[0]["record"] == loose
    assert owner.call("GET", f"/c/uncategorized/bins/{loose}")[0] == 200

    status, detached = owner.call("PUT", f"/c/{collection_id}/schemadoc/remove")
    assert status == 200 and detached["schemaDocId"] is None


def test_access_keys_over_http(local_stack):
    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    status, made = owner.call("POST", "/a", {"bins": {"create": True, "read": True, "update": False, "delete": False}},
                              X_Key_Name="frontend")
    assert status == 200, made
    assert made["keyPermissions"] == {"bins": {"create": True, "read": True, "update": False, "delete": False}}
    key_id = made["accessKeyId"]
    reader = JsonBinClient(local_stack, access_key=made["accessKey"])
    status, created = reader.call("POST", "/b", {"name": "Ada"})
    assert status == 200
    bin_id = created["metadata"]["id"]
    assert reader.call("GET", f"/b/{bin_id}", X_JSON_Path="$.name")[1]["record"] == ["Ada"]
    assert reader.call("PUT", f"/b/{bin_id}", {"name": "Eve"}) == (
        403, {"message": "The X-Access-Key does not have the permission to update bins"})
    status, me = reader.call("GET", "/me")  # our extension: what this key is
    assert status == 200 and me["key"]["accessKeyId"] == key_id and me["key"]["name"] == "frontend"

    status, keys = owner.call("GET", "/a")
    assert status == 200 and key_id in [key["accessKeyId"] for key in keys]
    assert owner.call("DELETE", f"/a/{key_id}") == (
        200, {"metadata": {"id": key_id, "name": "frontend"}, "message": "Access Key deleted successfully"})
    assert reader.call("GET", f"/b/{bin_id}")[0] == 401


def test_usage_logs_over_http(local_stack):
    """make run delivers each request's usage line as the template's pipeline does in AWS; the log
    routes list the day and serve it as a zip."""
    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    status, created = owner.call("POST", "/b", {"n": 1}, X_Bin_Name="logged")
    assert status == 200
    bin_id = created["metadata"]["id"]
    today = datetime.now(UTC).strftime("%d-%m-%Y")

    def logged() -> list[dict]:
        status, headers, archive = owner.download("GET", f"/l/{today}")
        if status == 404:
            return []
        assert status == 200 and headers["Content-Type"] == "application/zip", (status, archive[:200])
        with zipfile.ZipFile(io.BytesIO(archive)) as unzipped:
            return [json.loads(line) for line in unzipped.read(f"{today}.log").decode().splitlines()]

    deadline = time.monotonic() + 20
    while not any(line["binId"] == bin_id for line in logged()):
        assert time.monotonic() < deadline, "the create never reached the usage log"
        time.sleep(0.5)
    (line,) = [line for line in logged() if line["binId"] == bin_id]
    assert (line["method"], line["route"], line["status"]) == ("POST", "/v3/b", 200)
    status, days = owner.call("GET", "/l")
    assert status == 200 and days["logs"][0] == today
    assert owner.call("GET", "/l/01-01-2001") == (404, {"message": "Backup not found for 01-01-2001"})
    stranger = JsonBinClient(local_stack, master_key=local_stack.master_key.rsplit(".", 1)[0] + ".wrong")
    assert stranger.call("GET", "/l") == (401, {"message": "Invalid X-Master-Key provided"})


def test_every_route_of_the_template_was_called_by_a_jsonbin_client():
    """Last in this module: the tests above, between them, call every route."""
    assert set(ROUTES) - CALLED == set()


@pytest.mark.parametrize("method, path", [
    ("PATCH", "/v3/b/0123456789abcdef01234567"),
    ("GET", "/v3/nothing-here"),
    ("POST", "/v3/s/0123456789abcdef01234567"),
])
def test_unknown_routes_and_methods_are_a_json_404(local_stack, method, path):
    status, headers, body = local_stack.request(method, path)
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["Content-Type"].startswith("application/json")
