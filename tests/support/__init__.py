"""What the tests and the benchmark share: the repository's paths, sample API Gateway events (events),
a Lambda context (lambda_context), accounts and what is stored, for handler tests (store), and the SAM
transform of the template (transform, run in .venv-sam).

Nothing here imports beyond the standard library at package level: transform runs in .venv-sam.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
EVENTS_DIR = ROOT / "events"


def function_path(code_dir: str = "api") -> str:
    """PYTHONPATH for a fresh interpreter that imports a function's handler as Lambda does (its code,
    then the shared layer), with the repository after them (tests.support, local) for a probe."""
    return os.pathsep.join([str(ROOT / "functions" / code_dir), str(ROOT / "layers" / "shared"), str(ROOT)])
