"""The README's walkthrough runs as written against `make run`'s stack, and answers what it shows.

Every ```sh block of the README, in order, in one bash, from a directory holding the project's
`.venv` as a reader's clone does (see tests/support/walkthrough.py for how the README's answers are
read and compared). The environment is a fresh shell's: no AWS variable, until the walkthrough
exports make run's line.
"""

import os
import subprocess

from local.template import ROOT
from tests.support import walkthrough


def test_the_readme_walkthrough_runs_as_written(local_stack, tmp_path):
    found = walkthrough.commands(walkthrough.readme_text(ROOT))
    assert sum(command.answer is not None for command in found) >= 30  # the README shows its answers
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    fresh_shell = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    run = subprocess.run(
        ["bash", "-c", walkthrough.script(found, local_stack.url, local_stack.moto_url)],
        cwd=tmp_path,
        env=fresh_shell,
        capture_output=True,
        text=True,
        timeout=240,
    )
    problems = walkthrough.check(found, walkthrough.outputs(run.stdout))
    assert run.returncode == 0 and not problems, (
        f"bash exited {run.returncode}; stderr: {run.stderr[-2000:]}\n" + "\n".join(problems)
    )
