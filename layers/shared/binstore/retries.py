"""Retrying a conditional write that lost a race to a concurrent one."""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from binstore import errors, randomness
from binstore.allowance import spending
from binstore.model import CommitConflict

if TYPE_CHECKING:
    from binstore.storage import Store

MAX_ATTEMPTS = 40
BACKOFF_SECONDS = 0.005


def backoff(attempt: int) -> None:
    """A short pause, longer each attempt and jittered, so racing writers spread out."""
    time.sleep(randomness.uniform(0, BACKOFF_SECONDS * (attempt + 1)))


def retry_on_conflict[T](store: "Store", attempt_once: Callable[[], T]) -> T:
    """Run `attempt_once` (which reads, then writes conditionally) until no concurrent writer wins."""
    with spending(store.settings.buy_requests_at):
        for attempt in range(MAX_ATTEMPTS):
            try:
                return attempt_once()
            except CommitConflict:
                backoff(attempt)
    raise errors.TooManyConcurrentUpdates()
