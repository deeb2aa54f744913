"""What the tests and the benchmark share: the repository's paths, sample API Gateway events (events),
a Lambda context (lambda_context), accounts and what is stored, for handler tests (store), and the SAM
transform of the template (transform, run in .venv-sam).

Nothing here imports beyond the standard library at package level: transform runs in .venv-sam.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
EVENTS_DIR = ROOT / "events"
