"""Without Chromium, the browser tests skip, loudly at the end of pytest's summary; under CI=true they
fail instead. Each case is a pytest run of its own, with the browser's path pointed at nothing."""

import os
import subprocess
import sys

import pytest
from tests.support import ROOT

RUN_WITHOUT_CHROMIUM = """
import sys
from pathlib import Path
import pytest
from tests.browser import provision
provision.CHROMIUM = Path("/nonexistent/chromium")
sys.exit(pytest.main(["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "tests/browser/test_console_smoke.py",
                      "-k", "opens_with_no", "--basetemp", sys.argv[1]]))
"""


@pytest.mark.parametrize("ci, status, said", [
    ("", 0, ["1 skipped", "1 BROWSER TESTS SKIPPED: no headless Chromium here",
             "browser tests skipped: /nonexistent/chromium not installed"]),
    ("true", 1, ["1 error", "CI=true: browser tests skipped: /nonexistent/chromium not installed"]),
])
def test_without_chromium_the_browser_tests_skip_loudly_or_under_ci_fail(ci, status, said, tmp_path):
    env = {**os.environ, "CI": ci}
    result = subprocess.run([sys.executable, "-c", RUN_WITHOUT_CHROMIUM, str(tmp_path / "run")], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == status, result.stdout + result.stderr
    for words in said:
        assert words in result.stdout
