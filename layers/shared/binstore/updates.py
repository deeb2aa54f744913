"""The Update Bin use case (JSONBin v3 `PUT /v3/b/<BIN_ID>`), free of HTTP.

Order of checks, cheapest first: what the request alone can refuse (bin id, blank, size over every
plan, JSON) costs no AWS call; then one batched read (bin, key, account); then authorisation, the
allowance, the plan's limits, versioning and the schema doc; then one transaction commits: the new
record, the kept version and the spent request together, so a request is charged if and only if
its update took effect. The body
goes to S3 before the commit, while any remaining read (a keyless caller's owner account, the
collection's schema) runs beside it: three sequential AWS round trips for every warm update.
Nothing is stored unless every check passed, and an update that loses a race to a concurrent one
is retried from a fresh read, reusing the body it already uploaded.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from binstore import errors
from binstore.access import UPDATE, BinRoute, Credentials, authorise_bin
from binstore.allowance import check_allowance, spending
from binstore.collections import validate_in_collection
from binstore.ids import is_object_id
from binstore.keys import ParsedKey
from binstore.model import (
    Account,
    AllowanceSpent,
    AlreadyRecorded,
    BinMeta,
    Collection,
    CommitConflict,
    CommitOutcomeUnknown,
    IdempotentWrite,
    StorageUnavailable,
    utc_now,
)
from binstore.plans import MAX_VERSIONS_PER_BIN, PLANS, check_record_size
from binstore.records import Record, RequestBody
from binstore.retries import MAX_ATTEMPTS, backoff
from binstore.storage import Store

# Reads that overlap the body's upload. Threads are cheap here: the work is waiting on the network.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="binstore-lookup")


@dataclass(frozen=True)
class UpdateRequest:
    bin_id: str
    body: RequestBody
    credentials: Credentials = field(default_factory=Credentials)
    versioning: bool | None = None  # X-Bin-Versioning; None when the header is absent
    # Commit only if the bin is at one of these revisions (If-Match), each as the decimal text of its
    # ETag, compared as strings; None: whatever its revision.
    expected_revisions: frozenset[str] | None = None
    idempotent: IdempotentWrite | None = None  # sent with an Idempotency-Key


@dataclass(frozen=True)
class UpdateResult:
    bin: BinMeta
    record: Record
    versioned: bool


UPDATE_ROUTE = BinRoute(
    action=UPDATE,
    key_required="You need to pass X-Master-Key in the header to update a private bin",
    invalid_key="Invalid X-Master-Key provided or the bin does not belong to your account",
    not_found="Bin not found",
    public_without_key=True,
)


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


def _collection(store: Store, collection_id: str) -> Collection | None:
    return store.collections.get(collection_id)


def _account_allows(store: Store, account: Account | None, bin: BinMeta, request: UpdateRequest) -> bool:
    """Check the owner's allowance and plan; return whether this update keeps a version."""
    owner = check_allowance(
        account, store.settings.buy_requests_at, errors.NotFound(UPDATE_ROUTE.not_found), store.accounts.whole
    )
    plan = PLANS[owner.plan]
    check_record_size(plan, len(request.body.raw))
    return _keep_version(bin, request.versioning, plan.versioning)


def _bin_pointing_at(store: Store, bin_id: str, object_key: str) -> BinMeta | None:
    """The bin, if it points at `object_key`; None if it does not, or if it cannot be read."""
    try:
        bin = store.bins.get(bin_id)
    except StorageUnavailable:
        return None
    return bin if bin is not None and bin.object_key == object_key else None


def update_bin(store: Store, request: UpdateRequest) -> UpdateResult:
    if not is_object_id(request.bin_id):
        raise errors.InvalidBinId()
    record = request.body.record
    # The one place a commit that found the allowance spent becomes "Requests exhausted".
    with spending(store.settings.buy_requests_at):
        return _update(store, request, record, request.credentials.parsed())


def _update(store: Store, request: UpdateRequest, record: Record, parsed_key: ParsedKey | None) -> UpdateResult:
    """Read, check, upload once, commit; again from a fresh read if a concurrent update won."""
    uploaded_object_key: str | None = None
    # Set once the body must not be discarded: the update committed, or may have (a commit whose
    # answer was lost). A stray body costs a few bytes; discarding a live one would lose the record.
    keep_body = False
    keep_version = False
    validated_against: str | None = None
    try:
        for attempt in range(MAX_ATTEMPTS):
            context = store.read_context(
                request.bin_id,
                parsed_key.key_id if parsed_key else None,
                parsed_key.account_id if parsed_key else None,
            )
            bin = context.bin
            if bin is None:
                raise errors.NotFound(UPDATE_ROUTE.not_found)
            is_owner = authorise_bin(UPDATE_ROUTE, bin, request.credentials, parsed_key, context.key)
            if not is_owner and request.versioning is False:
                raise errors.MasterKeyRequiredToDisableVersioning()
            if request.expected_revisions is not None and str(bin.revision) not in request.expected_revisions:
                # Checked against every fresh read: a writer that commits between our read and our
                # commit makes the commit conflict, and the next attempt refuses here.
                raise errors.BinChanged()
            if is_owner:
                # The account is already at hand: refuse before reading or uploading anything more.
                keep_version = _account_allows(store, context.account, bin, request)
            # What is still to be read (a keyless caller's owner account, the collection's schema)
            # is read while the body uploads, so it adds no sequential round trip.
            account_lookup = None if is_owner else _LOOKUPS.submit(store.accounts.get, bin.owner_id)
            schema_lookup = _LOOKUPS.submit(_collection, store, bin.collection_id) if bin.collection_id else None
            if uploaded_object_key is None:
                uploaded_object_key = store.bodies.new_key(bin.bin_id)
                store.bodies.put(uploaded_object_key, record.json_bytes)
            if account_lookup is not None:
                keep_version = _account_allows(store, account_lookup.result(), bin, request)
            collection = schema_lookup.result() if schema_lookup is not None else None
            if collection is not None and collection.schema_json and collection.schema_json != validated_against:
                # Once per request (again only if the schema changed between attempts): its CPU
                # bound is per validation, and a retried commit must not multiply it.
                validate_in_collection(store, collection, record.value)
                validated_against = collection.schema_json

            try:
                updated = store.bins.commit_update(
                    bin, uploaded_object_key, keep_version, utc_now(), request.idempotent
                )
            except CommitConflict:
                backoff(attempt)
                continue
            except (AllowanceSpent, AlreadyRecorded):
                raise  # not applied, so the body goes (below); `spending` words a spent allowance
            except CommitOutcomeUnknown:
                # Storage sent it again, with its token, and never got an answer: it may have been
                # applied, so the body stays. One more read before giving up: if the bin points at
                # our body, it was applied (once: every send was conditioned on the same revision).
                keep_body = True
                applied = _bin_pointing_at(store, bin.bin_id, uploaded_object_key)
                if applied is None:
                    raise
                return UpdateResult(applied, record, keep_version)
            except BaseException:
                keep_body = True  # interrupted mid-commit: its outcome is unknown
                raise
            keep_body = True
            # A body this update replaced without keeping it as a version is deleted by the
            # cleanup function, from the bins table's stream: not on the request path.
            return UpdateResult(updated, record, keep_version)
        raise errors.TooManyConcurrentUpdates()
    finally:
        if uploaded_object_key is not None and not keep_body:
            # The update did not take effect: its body must not linger.
            store.bodies.discard(uploaded_object_key)
