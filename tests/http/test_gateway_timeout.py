"""make run's gateway ends a request that outlives the function's Timeout, as Lambda does, and goes on serving."""

import json
import os
import sys
import subprocess
import time
import urllib.error
import urllib.request

from local.ports import free_port, wait_for_port
from local.run import SAM_PYTHON
from local.template import TEMPLATE_PATH, load_template, local_functions
from tests.support import ROOT

SLOW_FUNCTION = ROOT / "tests" / "http" / "slow_function"


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_template_timeout_is_what_make_run_enforces():
    (bins_function,) = [f for f in local_functions(load_template()) if f.logical_id == "BinsFunction"]
    assert bins_function.timeout_seconds == load_template()["Globals"]["Function"]["Timeout"]
    # Inside the HTTP API's integration timeout (30 s, its maximum): Lambda ends a stuck request first.
    assert bins_function.timeout_seconds < 30


def test_a_stuck_request_is_cut_off_at_the_timeout_and_the_server_keeps_serving(tmp_path):
    port = free_port()
    functions = {"BinsFunction": {"python": os.path.realpath(sys.executable), "handler": "app.lambda_handler",
                                  "code_dir": str(SLOW_FUNCTION), "layer_dirs": [], "environment": {},
                                  "cwd": str(ROOT), "timeout": 1}}
    with open(tmp_path / "gateway.log", "w") as log:
        gateway = subprocess.Popen(
            [str(SAM_PYTHON), "-m", "local.gateway", "--template", str(TEMPLATE_PATH), "--host", "127.0.0.1",
             "--port", str(port), "--functions", json.dumps(functions), "--max-workers", "2"],
            cwd=ROOT, env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, gateway)
        base = f"http://127.0.0.1:{port}/v3/b/0123456789abcdef01234567"
        started = time.monotonic()
        status, _ = get(base + "/stuck")
        assert 500 <= status < 600
        assert time.monotonic() - started < 10
        # The worker that hung was replaced: the next requests are served.
        assert get(base + "/latest") == (200, {"ok": True})
        assert get(base + "/latest") == (200, {"ok": True})
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
