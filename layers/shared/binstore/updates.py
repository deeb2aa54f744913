"""The Update Bin use case (JSONBin v3 `PUT /v3/b/<BIN_ID>`), free of HTTP.

Order of checks, cheapest first: what the request alone can refuse (bin id, blank, size over every
plan, JSON) costs no AWS call; then one batched read (bin, key, account); then authorisation, the
allowance, the plan's limits, versioning and the schema doc; then one transaction commits. The body
goes to S3 before the commit, while any remaining read (a keyless caller's owner account, the
collection's schema) runs beside it: three sequential AWS round trips for every warm update.
Nothing is stored unless every check passed, and an update that loses a race to a concurrent one
is retried from a fresh read, reusing the body it already uploaded.
"""

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from binstore import errors
from binstore.ids import is_object_id
from binstore.keys import ParsedKey, key_matches, parse_key
from binstore.plans import FREE, MAX_VERSIONS_PER_BIN, PLANS
from binstore.records import Record, parse_record
from binstore.schemas import validate_record
from binstore.storage import Account, AllowanceSpent, BinMeta, CommitConflict, Store, UpdateContext, utc_now

# Reads that overlap the body's upload. Threads are cheap here: the work is waiting on the network.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="binstore-lookup")

# Enough for dozens of writers racing on one bin; each retry backs off a little, with jitter.
MAX_COMMIT_ATTEMPTS = 40
_BACKOFF_SECONDS = 0.005


@dataclass(frozen=True)
class UpdateRequest:
    bin_id: str
    body: bytes
    master_key: str | None = None
    versioning: bool | None = None  # X-Bin-Versioning; None when the header is absent


@dataclass(frozen=True)
class UpdateResult:
    bin: BinMeta
    record: Record
    versioned: bool


def parse_versioning_header(value: str | None) -> bool | None:
    if value is None:
        return None
    normalized = value.strip().lower()
    if normalized in ("true", "false"):
        return normalized == "true"
    raise errors.InvalidHeader("X-Bin-Versioning must be true or false")


def _authorise(bin: BinMeta, parsed_key: ParsedKey | None, master_key_given: bool,
               context: UpdateContext, versioning: bool | None) -> bool:
    """Check the caller may update `bin`; return whether the caller is its owner."""
    if master_key_given:
        # A key, when given, must be the owner's, even for a public bin.
        if (
            parsed_key is None
            or context.key is None
            or parsed_key.account_id != bin.owner_id
            or not key_matches(parsed_key, context.key.account_id, context.key.secret_hash)
        ):
            raise errors.InvalidMasterKey()
        return True
    if bin.private:
        raise errors.MasterKeyRequired()
    if versioning is False:
        raise errors.MasterKeyRequiredToDisableVersioning()
    return False


def _keep_version(bin: BinMeta, versioning: bool | None, plan_allows_versioning: bool) -> bool:
    """Whether this update keeps the bin's current record as a version.

    Private bins version only when asked. Public bins version by default, unless the owner turns
    it off; a free owner's public bin is not versioned by default, since the plan has no versioning.
    """
    if versioning is True and not plan_allows_versioning:
        raise errors.VersioningNotAvailable()
    wanted = versioning if versioning is not None else (not bin.private and plan_allows_versioning)
    if wanted and bin.version_count >= MAX_VERSIONS_PER_BIN:
        raise errors.VersionLimitReached(MAX_VERSIONS_PER_BIN)
    return wanted


def _collection_schema(store: Store, collection_id: str) -> str | None:
    collection = store.get_collection(collection_id)
    return collection.schema_json if collection else None


def _account_allows(store: Store, account: Account | None, bin: BinMeta, request: UpdateRequest) -> bool:
    """Check the owner's allowance and plan; return whether this update keeps a version."""
    if account is None:
        # The bin's owner was deleted; nobody can be charged for, or own, this update.
        raise errors.BinNotFound()
    if account.requests_remaining <= 0:
        raise errors.RequestsExhausted(store.settings.buy_requests_at)
    plan = PLANS[account.plan]
    if len(request.body) > plan.max_record_bytes:
        raise errors.RecordTooLargeForFreePlan() if plan is FREE else errors.RecordTooLarge()
    return _keep_version(bin, request.versioning, plan.versioning)


def update_bin(store: Store, request: UpdateRequest) -> UpdateResult:
    if not is_object_id(request.bin_id):
        raise errors.InvalidBinId()
    record = parse_record(request.body)
    master_key_given = request.master_key is not None
    parsed_key = parse_key(request.master_key) if master_key_given else None

    uploaded_object_key: str | None = None
    # Set once the body must not be discarded: the update committed, or may have (a commit whose
    # answer was lost). A stray body costs a few bytes; discarding a live one would lose the record.
    keep_body = False
    keep_version = False
    try:
        for attempt in range(MAX_COMMIT_ATTEMPTS):
            context = store.read_update_context(
                request.bin_id,
                parsed_key.key_id if parsed_key else None,
                parsed_key.account_id if parsed_key else None,
            )
            bin = context.bin
            if bin is None:
                raise errors.BinNotFound()
            if uploaded_object_key is not None and bin.object_key == uploaded_object_key:
                # An earlier attempt of ours was applied after all.
                keep_body = True
                return UpdateResult(bin, record, keep_version)
            is_owner = _authorise(bin, parsed_key, master_key_given, context, request.versioning)
            if is_owner:
                # The account is already at hand: refuse before reading or uploading anything more.
                keep_version = _account_allows(store, context.account, bin, request)
            # What is still to be read (a keyless caller's owner account, the collection's schema)
            # is read while the body uploads, so it adds no sequential round trip.
            account_lookup = None if is_owner else _LOOKUPS.submit(store.get_account, bin.owner_id)
            schema_lookup = _LOOKUPS.submit(_collection_schema, store, bin.collection_id) \
                if bin.collection_id else None
            if uploaded_object_key is None:
                uploaded_object_key = store.new_object_key(bin.bin_id)
                store.put_body(uploaded_object_key, record.json_bytes)
            if account_lookup is not None:
                keep_version = _account_allows(store, account_lookup.result(), bin, request)
            schema_json = schema_lookup.result() if schema_lookup is not None else None
            if schema_json:
                validate_record(schema_json, record.value)

            try:
                updated = store.commit_update(bin, uploaded_object_key, keep_version, utc_now())
            except CommitConflict:
                time.sleep(random.uniform(0, _BACKOFF_SECONDS * (attempt + 1)))
                continue
            except AllowanceSpent:
                raise errors.RequestsExhausted(store.settings.buy_requests_at) from None
            except BaseException:
                keep_body = True  # the commit's outcome is unknown
                raise
            keep_body = True
            # A body this update replaced without keeping it as a version is deleted by the
            # cleanup function, from the bins table's stream: not on the request path.
            return UpdateResult(updated, record, keep_version)
        raise errors.TooManyConcurrentUpdates()
    finally:
        if uploaded_object_key is not None and not keep_body:
            # The update did not take effect: its body must not linger.
            store.discard_body(uploaded_object_key)
