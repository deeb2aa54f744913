"""make run's banner is the one the README's Quick start shows, line for line: the README abbreviates
the demo master key (as `5f0c...`) and writes `...` for it in the curl lines, nothing else."""

import re

from local.run import banner
from tests.support import ROOT

README_KEY = "5f0c...e1.9a1b...7c.Qm9..."


def readme_banner() -> str:
    """The fenced block of the README that starts with the banner's first line, to its closing fence."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"^```\n(binstore is running at .*?)^```$", readme, re.MULTILINE | re.DOTALL)
    return block


def test_the_readme_shows_make_runs_banner():
    key = "KEY.OF.DEMO"
    printed = banner("http://127.0.0.1:3000", 5000, key, "64b7f0c2a1d3e4f5a6b7c8d9")
    shown = readme_banner().replace(README_KEY, key).replace("X-Master-Key: ...", f"X-Master-Key: {key}")
    assert printed.strip("\n").splitlines() == shown.strip("\n").splitlines()


def test_the_banner_says_where_the_console_is_before_the_curl_lines():
    printed = banner("http://127.0.0.1:8080", 5055, "KEY", "BIN")
    line = "Open the web console: http://127.0.0.1:8080/console  (sign in with the demo master key above)"
    assert line in printed.splitlines()
    assert printed.index(line) < printed.index("curl ")
