"""Retrying a conditional write that lost a race, and naming what a refused write means."""

import random
import time
from collections.abc import Callable

from binstore import errors
from binstore.storage import AllowanceSpent, CommitConflict, Store

MAX_ATTEMPTS = 40
BACKOFF_SECONDS = 0.005


def backoff(attempt: int) -> None:
    """A short pause, longer each attempt and jittered, so racing writers spread out."""
    time.sleep(random.uniform(0, BACKOFF_SECONDS * (attempt + 1)))


def retry_on_conflict[T](store: Store, attempt_once: Callable[[], T]) -> T:
    """Run `attempt_once` (which reads, then writes conditionally) until no concurrent writer wins."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return attempt_once()
        except CommitConflict:
            backoff(attempt)
        except AllowanceSpent:
            raise errors.RequestsExhausted(store.settings.buy_requests_at) from None
    raise errors.TooManyConcurrentUpdates()
