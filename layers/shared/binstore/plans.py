"""Plans: what an account may store and how many requests it starts with."""

from dataclasses import dataclass

from binstore import errors

KB = 1024
MB = 1024 * KB
# A change of a schema doc rewrites, in one DynamoDB transaction, the doc and the copy of every
# collection attached to it (with the spent request and an Idempotency-Key's record). A transaction
# holds at most 100 items and 4 MB: with docs of up to 100 KB, 35 copies and the doc fit in 3.6 MB.
MAX_COLLECTIONS_PER_SCHEMA_DOC = 35


@dataclass(frozen=True)
class Plan:
    name: str
    max_record_bytes: int
    versioning: bool
    default_requests: int


FREE = Plan("free", max_record_bytes=500 * KB, versioning=False, default_requests=10_000)
PRO = Plan("pro", max_record_bytes=1 * MB, versioning=True, default_requests=100_000)
PLANS = {plan.name: plan for plan in (FREE, PRO)}

# A body over this is refused before it is parsed: no plan could store it.
LARGEST_RECORD_BYTES = max(plan.max_record_bytes for plan in PLANS.values())

# JSONBin lets an account have at most this many access keys (beside its master key).
MAX_ACCESS_KEYS = 4

# JSONBin keeps at most this many versions of a bin.
MAX_VERSIONS_PER_BIN = 1000


def check_record_size(plan: Plan, size: int) -> None:
    """Refuse a record of `size` bytes that `plan` cannot store."""
    if size > plan.max_record_bytes:
        raise errors.RecordTooLargeForFreePlan() if plan is FREE else errors.RecordTooLarge()
