"""Headless Chromium and its driver for the browser tests: there, installed, or reported missing.

`make test` runs `python -m tests.browser.provision` beside the virtual environments' setup, before
`.venv` exists: this module uses the standard library alone. Debian's `chromium` and
`chromium-driver` packages put the two programs where the tests look (CHROMIUM, CHROMEDRIVER).

- both there: nothing to do;
- one missing, as root with apt-get: `apt-get update`, then `apt-get install -y chromium chromium-driver`;
- missing otherwise (or the install failed): under CI=true a clear error and exit status 1 (CI must
  run the browser tests); elsewhere a loud warning, and the browser tests skip (tests/browser/conftest.py,
  named again in pytest's summary by tests/conftest.py).

`--dry-run` prints the apt-get commands instead of running them; `--required` fails as under CI=true
(`make screenshots` cannot do without the browser); `--chromium`/`--chromedriver` look
elsewhere (the tests of this module use both, with a fake apt-get on a fake PATH).
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver")
APT_COMMANDS = (("apt-get", "update"), ("apt-get", "install", "-y", *PACKAGES))
# What a browser test's skip reason starts with: tests/conftest.py counts those skips in the summary.
SKIP_REASON = "browser tests skipped"


def in_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing(chromium: Path | None = None, chromedriver: Path | None = None) -> list[Path]:
    """Which of the two programs (by default CHROMIUM and CHROMEDRIVER) is not an executable file."""
    paths = (chromium or CHROMIUM, chromedriver or CHROMEDRIVER)
    return [path for path in paths if not (path.is_file() and os.access(path, os.X_OK))]


@dataclass(frozen=True)
class Decision:
    action: str  # "none", "install", "fail" or "warn"
    message: str


def decide(absent: Sequence[Path], root: bool, apt_get: bool, ci: bool, installed: bool = False) -> Decision:
    """What to do about the programs `absent`; `installed`: after apt-get has run (or failed)."""
    if not absent:
        return Decision("none", "")
    names = " and ".join(str(path) for path in absent)
    if root and apt_get and not installed:
        return Decision("install", f"{names} missing: installing {' '.join(PACKAGES)} with apt-get (about a minute)")
    if installed:
        why = "apt-get did not install them"
    else:
        why = ", ".join(reason for reason, holds in (("not root", not root), ("no apt-get", not apt_get)) if holds)
    how = f"install them as root: apt-get update && apt-get install -y {' '.join(PACKAGES)}"
    if ci:
        return Decision("fail", f"CI=true and {names} missing ({why}), so the browser tests cannot run: {how}")
    return Decision("warn", f"{names} missing ({why}): the browser tests (tests/browser) will be SKIPPED; {how}")


def loud(message: str) -> str:
    bar = "!" * 100
    return f"{bar}\n!! {message}\n{bar}"


def install(environ: Mapping[str, str], dry_run: bool) -> bool:
    """The apt-get commands, non-interactive; their output is shown (its end) only if one fails."""
    env = {**environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in APT_COMMANDS:
        if dry_run:
            print("would run:", " ".join(command))
            continue
        # The PATH searched for apt-get is env's (subprocess looks a program up in the env it is given).
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        if result.returncode != 0:
            tail = "\n".join(result.stdout.splitlines()[-30:])
            print(f"{' '.join(command)} failed ({result.returncode}); the end of its output:\n{tail}", file=sys.stderr)
            return False
    return True


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, euid: int | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the apt-get commands, run nothing")
    parser.add_argument("--required", action="store_true", help="fail as under CI=true (make screenshots)")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    parser.add_argument("--chromedriver", type=Path, default=CHROMEDRIVER)
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    root = (os.geteuid() if euid is None else euid) == 0
    apt_get = shutil.which("apt-get", path=environ.get("PATH", "")) is not None
    ci = in_ci(environ) or args.required

    decision = decide(missing(args.chromium, args.chromedriver), root, apt_get, ci)
    if decision.action == "install":
        print(decision.message)
        if install(environ, args.dry_run) and args.dry_run:
            return 0
        # Whatever apt-get said, the programs must be there now.
        decision = decide(missing(args.chromium, args.chromedriver), root, apt_get, ci, installed=True)
        if decision.action == "none":
            print(f"installed: {args.chromium}, {args.chromedriver}")
    if decision.action == "fail":
        print(loud(decision.message), file=sys.stderr)
        return 1
    if decision.action == "warn":
        print(loud(decision.message), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
