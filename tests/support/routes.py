"""The HTTP API's routes as template.yaml declares them, and the function that serves each."""

from local.template import load_template

# Serves the web console's files (GET /console, GET /console/{asset+}): a page, not the JSON API.
CONSOLE_FUNCTION = "ConsoleFunction"


def http_routes(template: dict | None = None) -> dict[tuple[str, str], str]:
    """(METHOD, path) of every HttpApi event in the template -> the logical id of its function."""
    routes = {}
    for logical_id, resource in (template or load_template())["Resources"].items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "HttpApi":
                routes[(event["Properties"]["Method"].upper(), event["Properties"]["Path"])] = logical_id
    return routes


def api_routes(template: dict | None = None) -> set[tuple[str, str]]:
    """The JSON API's routes: every route but the console's."""
    return {route for route, function in http_routes(template).items() if function != CONSOLE_FUNCTION}


def console_routes(template: dict | None = None) -> set[tuple[str, str]]:
    return {route for route, function in http_routes(template).items() if function == CONSOLE_FUNCTION}
