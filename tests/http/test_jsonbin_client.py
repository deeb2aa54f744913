"""A client written for JSONBin v3, pointed at `make run`'s URL: only the base URL and key change.

The client below speaks JSONBin v3 as its documentation describes it (routes, headers, envelopes)
and knows nothing of this project.
"""

import json

import pytest


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
        status, _, text = self.stack.request(method, "/v3" + path, body, sent)
        return status, json.loads(text)


def test_a_jsonbin_client_works_unchanged_end_to_end(local_stack):
    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    anonymous = JsonBinClient(local_stack)

    status, created = owner.call("POST", "/b", {"sample": "Hello World"}, X_Bin_Name="settings")
    assert status == 200, created
    bin_id = created["metadata"]["id"]
    assert created["record"] == {"sample": "Hello World"}
    assert created["metadata"]["private"] is True and created["metadata"]["name"] == "settings"

    for n in (1, 2):
        status, updated = owner.call("PUT", f"/b/{bin_id}", {"sample": n}, X_Bin_Versioning="true")
        assert (status, updated) == (200, {"record": {"sample": n}, "metadata": {"parentId": bin_id, "private": True}})

    assert owner.call("GET", f"/b/{bin_id}/latest")[1]["record"] == {"sample": 2}
    assert owner.call("GET", f"/b/{bin_id}/1")[1]["record"] == {"sample": "Hello World"}
    assert owner.call("GET", f"/b/{bin_id}/2")[1]["record"] == {"sample": 1}
    assert owner.call("GET", f"/b/{bin_id}/versions/count") == (
        200, {"metadata": {"id": bin_id, "versionCount": 2, "private": True}})

    assert anonymous.call("GET", f"/b/{bin_id}") == (
        401, {"message": "You need to pass X-Master-Key or X-Access-Key in the header to read a private bin"})
    assert owner.call("PUT", f"/b/{bin_id}/meta/privacy", X_Bin_Private="false") == (
        200, {"record": bin_id, "metadata": {"private": False}})
    status, read = anonymous.call("GET", f"/b/{bin_id}")
    assert status == 200 and read["record"] == {"sample": 2} and read["metadata"]["private"] is False
    assert anonymous.call("GET", f"/b/{bin_id}?meta=false") == (200, {"sample": 2})

    assert owner.call("DELETE", f"/b/{bin_id}") == (
        200, {"metadata": {"id": bin_id, "versionsDeleted": 2}, "message": "Bin deleted successfully"})
    assert anonymous.call("GET", f"/b/{bin_id}") == (404, {"message": "Bin not found or it doesn't belong to your account"})


def test_collections_schema_docs_and_access_keys_over_http(local_stack, tmp_path):
    from tests.http.test_local_server import binctl

    owner = JsonBinClient(local_stack, master_key=local_stack.master_key)
    status, doc = owner.call("POST", "/s", {"type": "object", "required": ["name"]}, X_Schema_Doc_Name="Users")
    assert status == 200 and doc["metadata"]["name"] == "Users"
    status, collection = owner.call("POST", "/c", X_Collection_Name="People")
    assert status == 200 and collection["metadata"]["name"] == "People"
    collection_id = collection["record"]
    status, attached = owner.call("PUT", f"/c/{collection_id}/schemadoc/add", X_Schema_Doc_Id=doc["metadata"]["id"])
    assert status == 200 and attached["schemaDocId"] == doc["metadata"]["id"]

    status, refused = owner.call("POST", "/b", {"age": 3}, X_Collection_Id=collection_id)
    assert status == 400 and refused["message"].startswith("Schema Doc Validation Mismatch: name:undefined")

    access_key = binctl(local_stack, "key", "create", "--master-key", local_stack.master_key,
                        "--permissions", "create,read")["accessKey"]
    reader = JsonBinClient(local_stack, access_key=access_key)
    status, created = reader.call("POST", "/b", {"name": "Ada"}, X_Collection_Id=collection_id)
    assert status == 200 and created["metadata"]["collectionId"] == collection_id
    bin_id = created["metadata"]["id"]
    assert reader.call("GET", f"/b/{bin_id}", X_JSON_Path="$.name")[1]["record"] == ["Ada"]
    status, refused = reader.call("PUT", f"/b/{bin_id}", {"name": "Eve"})
    assert (status, refused) == (403, {"message": "The X-Access-Key does not have the permission to update bins"})

    binctl(local_stack, "key", "revoke", "--master-key", local_stack.master_key, "--access-key", access_key)
    assert reader.call("GET", f"/b/{bin_id}")[0] == 401


@pytest.mark.parametrize("method, path", [
    ("PATCH", "/v3/b/0123456789abcdef01234567"),
    ("GET", "/v3/nothing-here"),
    ("POST", "/v3/s/0123456789abcdef01234567"),
])
def test_unknown_routes_and_methods_are_a_json_404(local_stack, method, path):
    status, headers, body = local_stack.request(method, path)
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["Content-Type"].startswith("application/json")
