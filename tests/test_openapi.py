"""openapi.yaml describes exactly the routes template.yaml serves, and documents every refusal as
JSONBin's `{"message": ...}` envelope."""

import yaml
from tests.support import ROOT
from tests.support.routes import CONSOLE_FUNCTION, api_routes, http_routes

OPENAPI = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = {"get", "put", "post", "delete", "patch"}


def openapi_routes() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in OPENAPI["paths"].items() for method in item if method in METHODS}


def test_openapi_describes_exactly_the_templates_routes():
    # openapi.yaml documents the JSON API: JSON bodies, JSONBin's keys and its {"message"} envelope.
    # The web console's two routes (ConsoleFunction, same HTTP API) serve a page and its files to a
    # browser, with no key and no JSON: they are not part of that API, so they are left out here (a
    # client generated from openapi.yaml has no use for them, and schemathesis would fuzz them as
    # JSON routes), and held to exactly those two by the next test.
    assert openapi_routes() == api_routes()


def test_the_only_routes_left_out_of_openapi_are_the_consoles_two_served_by_its_function():
    console = {route: function for route, function in http_routes().items() if route not in openapi_routes()}
    assert console == {("GET", "/console"): CONSOLE_FUNCTION, ("GET", "/console/{asset+}"): CONSOLE_FUNCTION}
    assert not [path for path in OPENAPI["paths"] if path.startswith("/console")]


def test_every_operation_documents_its_errors_in_the_message_envelope():
    envelope = {"$ref": "#/components/responses/Error"}
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            statuses = operation["responses"]
            assert "200" in statuses, (method, path)
            errors = {status: answer for status, answer in statuses.items() if status >= "400"}
            assert "401" in errors and "503" in errors, (method, path)
            assert all(answer == envelope for answer in errors.values()), (method, path)
    assert OPENAPI["components"]["schemas"]["Error"]["required"] == ["message"]


def test_extension_headers_are_documented_where_they_apply():
    update = OPENAPI["paths"]["/v3/b/{binId}"]["put"]
    names = {parameter.get("name") or parameter.get("$ref") for parameter in update["parameters"]}
    assert "If-Match" in names and "#/components/parameters/IdempotencyKey" in names
    assert "412" in update["responses"] and "ETag" in update["responses"]["200"]["headers"]


def test_every_write_takes_an_idempotency_key():
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method in METHODS - {"get"}:
                parameters = [parameter.get("$ref") for parameter in operation.get("parameters", [])]
                assert "#/components/parameters/IdempotencyKey" in parameters, (method, path)


def test_the_headers_a_route_reads_come_from_openapi_yaml():
    """The hostile-values tests send hostile values one by one in these, and all at once in the rest."""
    from tests.hostile import headers_read

    assert headers_read("PUT", "/v3/b/{binId}") == {
        "content-type", "x-master-key", "x-access-key", "idempotency-key", "x-bin-versioning", "if-match"}
    assert headers_read("GET", "/v3/c/{collectionId}/bins") == {"x-master-key", "x-sort-order"}
