"""The API function is safe to snapshot (Lambda SnapStart, the stack's SnapStart parameter): what its
cold start leaves in memory holds nothing that must differ between execution environments.

SnapStart runs the cold start once, snapshots the memory, and resumes every new environment from
that copy. `os.fork()` after the import is the same experiment on this machine: two children start
from one initialised memory, as two environments resumed from one snapshot do (the C library's
fork, so that no at-fork hook reseeds anything: a resume runs none). Everything they
draw must differ: ids, keys, body keys, the allowance shard a charge tries first, retry jitter, and
what libraries draw from the random module once the environment has served its first request.
"""

import ast
import json
import os
import subprocess
import sys

from tests.support import ROOT, function_path

_PROBE = """
import ctypes, json, os, random
import api_handler  # the cold start: what a snapshot holds
from tests.support.events import api_event
from tests.support.lambda_context import lambda_context
from binstore import ids, keys, randomness
from binstore.storage import bodies, charges

# No connection in the snapshot: the AWS clients are made by the first request, after the resume.
assert not any(api_handler.store.clients._made.values())

def draws():
    # The environment's first invocation (a route that calls nothing), then what a library would draw
    # from the random module's shared generator (botocore's retry jitter, Powertools' log sampling).
    api_handler.lambda_handler(api_event("GET", "/v3/no-such-route"), lambda_context())
    return {"library draws": [random.random() for _ in range(4)],
            "bin id": ids.new_id(), "key": keys.generate_key(ids.new_id()).plaintext,
            "body key": bodies.new_object_key("0" * 24),
            "first shards": [charges._first_pick() for _ in range(12)],
            "jitter": [randomness.uniform(0, 1) for _ in range(4)]}

# The C library's fork, not os.fork(): Python's own runs the hooks modules register for a fork
# (the random module reseeds the child's generator), and nothing runs such hooks on a resume.
libc_fork = ctypes.CDLL(None, use_errno=True).fork
read, write = os.pipe()
children = []
for _ in range(2):
    pid = libc_fork()
    if pid == 0:
        os.close(read)
        os.write(write, (json.dumps(draws()) + "\\n").encode())
        os._exit(0)
    children.append(pid)
os.close(write)
for pid in children:
    os.waitpid(pid, 0)
with os.fdopen(read) as lines:
    print(json.dumps([json.loads(line) for line in lines]))
"""


def test_environments_resumed_from_one_snapshot_draw_different_ids_keys_shards_and_jitter():
    env = {**os.environ, "PYTHONPATH": function_path("api"),
           "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "api")}
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = json.loads(result.stdout.splitlines()[-1])
    assert set(first) == set(second) == {"library draws", "bin id", "key", "body key", "first shards", "jitter"}
    for drawn in first:
        assert first[drawn] != second[drawn], f"two environments resumed from one snapshot drew the same {drawn}"


def test_no_code_of_the_functions_draws_from_the_random_modules_shared_generator():
    """Its state is seeded at interpreter start and would be copied into every resumed environment;
    binstore.randomness draws from the OS instead."""
    offenders = []
    for path in [*(ROOT / "layers" / "shared" / "binstore").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        if path.name == "randomness.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            if "random" in names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
