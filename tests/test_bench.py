"""`make bench` runs and reports every figure (a few runs each: its figures are not checked here)."""

import os
import re
import subprocess
import sys

from tests.support import ROOT


def test_bench_prints_every_figure_and_meets_the_call_goals():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run([sys.executable, "-m", "bench", "--runs", "3", "--skip-throughput",
                             "--skip-contention"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    for section in ("1. AWS calls per warm update", "2. Handler's own time", "3. Cold start", "4. Cost per million"):
        assert section in output
    for size in ("1 KB", "100 KB", "1 MB"):
        for scenario in ("private ", "private, versioned"):
            line = next(line for line in output.splitlines() if line.startswith(f"{size:<7} {scenario}"))
            assert re.search(r"\s3\s+3\s+met\s", line), line  # 3 calls in 3 round trips
    for refusal in ("bad bin id", "blank body", "wrong Content-Type", "over the largest plan"):
        line = next(line for line in output.splitlines() if line.strip().startswith(refusal))
        assert "0 calls  met" in line, line
    assert re.search(r"\d+\.\d{2} +\d+ ms$", output, re.MULTILINE)  # a cost row: total $ and duration
