"""A cold start imports and makes only what every request needs; the rest waits for its first use."""

import json
import os
import subprocess
import sys

from tests.support import function_path

_PROBE = """
import json, sys
import api_handler
print(json.dumps({"modules": sorted(sys.modules), "clients": [name for name, client in api_handler.store.clients._made.items()
                                                             if client is not None]}))
"""


def test_importing_the_handler_makes_no_client_and_skips_what_few_requests_need():
    env = {**os.environ, "PYTHONPATH": function_path("api"), "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded["clients"] == []  # made by the first request that calls AWS
    for lazy in ("jsonschema", "jsonpath_ng", "aws_lambda_powertools.utilities.idempotency"):
        assert lazy not in loaded["modules"], lazy
    assert "aws_lambda_powertools.event_handler" in loaded["modules"]  # the probe did import the handler


def test_a_function_missing_a_resource_name_fails_at_cold_start_naming_it():
    """No fallback to other names: a broken deployment fails its first invocation, saying why."""
    for code_dir, module, variable in [("api", "api_handler", "BINS_TABLE"),
                                       ("cleanup", "cleanup_handler", "RECORDS_BUCKET"),
                                       ("sweeper", "sweeper_handler", "BIN_VERSIONS_TABLE")]:
        env = {**os.environ, "PYTHONPATH": function_path(code_dir), "AWS_DEFAULT_REGION": "us-east-1"}
        env.pop(variable)
        result = subprocess.run([sys.executable, "-c", f"import {module}"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode != 0, module
        assert "MissingSetting" in result.stderr and variable in result.stderr, result.stderr
