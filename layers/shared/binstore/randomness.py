"""Random draws for jitter and for spreading load (allowance shards), from the operating system on
every call.

Not the `random` module's shared generator: it is seeded once, when the interpreter starts. Under
Lambda SnapStart every execution environment resumed from one snapshot would hold the same
generator state, and draw the same pauses and the same shards in step: the very contention these
draws exist to spread (docs/operations.md, "SnapStart"). SystemRandom keeps no state to copy; a
draw costs about a microsecond.
"""

import random
from random import SystemRandom

_SYSTEM = SystemRandom()

uniform = _SYSTEM.uniform
choice = _SYSTEM.choice
randrange = _SYSTEM.randrange


_reseeded = False


def reseed_shared_generator_once() -> None:
    """Reseed the `random` module's generator from the OS, once per execution environment: on its
    first invocation, which under SnapStart comes after the resume. Libraries draw from it too
    (botocore's retry jitter, Powertools' log sampling), and would otherwise draw in step with
    every environment resumed from the same snapshot."""
    global _reseeded
    if not _reseeded:
        random.seed()
        _reseeded = True
