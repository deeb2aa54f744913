"""Cold start: importing the handler's module in a fresh interpreter, beside a bare `import boto3`.

Each figure is the median over fresh interpreters, alternated so that both see the same machine.
The handler is imported as Lambda imports it: its variables set and its code and layer on sys.path
before the clock starts. What the import leaves for later (the AWS clients, made on first use) is
timed too, in the same fresh interpreter, right after the import.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

from bench.bodies import SIZES, json_body
from bench.lambda_setup import bins_function, environment, python_path

RUNS = 7

_IMPORT_BOTO3 = """
import time
started = time.perf_counter()
import boto3
print(time.perf_counter() - started)
"""

_IMPORT_HANDLER = """
import json, sys, time
module_name = sys.argv[1]
started = time.perf_counter()
module = __import__(module_name)
imported = time.perf_counter() - started
started = time.perf_counter()
store = module.store
store.dynamodb, store.s3  # made on first use: the first request that needs each pays this
clients = time.perf_counter() - started


def peak_rss_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


after_import = peak_rss_mib()
# The memory a largest update needs on top: its body parsed, re-serialised and sent back.
from binstore.records import parse_record
from http_helpers import record_response
with open(sys.argv[2]) as largest:
    body = largest.read()
record = parse_record(body.encode())
response = json.dumps({"statusCode": 200, "body": record_response(record.json_text, {}).body})
print(json.dumps({"import": imported, "clients": clients, "rss_after_import_mib": after_import,
                  "rss_after_largest_update_mib": peak_rss_mib()}))
"""


def _fresh_python(code: str, *args: str) -> str:
    function = bins_function()
    env = {
        **os.environ,
        **environment(function),
        "PYTHONPATH": os.pathsep.join(python_path(function)),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    return (
        subprocess.run([sys.executable, "-c", code, *args], env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )


def measure(runs: int = RUNS) -> dict:
    module_name = bins_function().handler.rsplit(".", 1)[0]
    boto3_seconds, handler = [], []
    with tempfile.NamedTemporaryFile("w", suffix=".json") as largest:
        largest.write(json_body(SIZES["1 MB"]))
        largest.flush()
        arguments = (module_name, largest.name)
        _fresh_python(_IMPORT_HANDLER, *arguments)  # once, so that both start with warm file caches
        for _ in range(runs):
            boto3_seconds.append(float(_fresh_python(_IMPORT_BOTO3)))
            handler.append(json.loads(_fresh_python(_IMPORT_HANDLER, *arguments)))
    return {
        "boto3_ms": statistics.median(boto3_seconds) * 1000,
        "handler_ms": statistics.median(run["import"] for run in handler) * 1000,
        "clients_ms": statistics.median(run["clients"] for run in handler) * 1000,
        "rss_after_import_mib": statistics.median(run["rss_after_import_mib"] for run in handler),
        "rss_after_largest_update_mib": statistics.median(run["rss_after_largest_update_mib"] for run in handler),
    }
