"""Refusals, each with JSONBin's exact message text.

The categories (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
Unprocessable, Busy) say why a request was refused;
the HTTP layer maps each category to its status code, so nothing here knows about HTTP.
"""


class BinStoreError(Exception):
    """A request refused with a message meant for the caller."""

    message = "Request refused"

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        self.details: dict = {}  # what the answer carries beside its message (few refusals have any)
        super().__init__(self.message)


class BadRequest(BinStoreError):
    pass


class Unauthorized(BinStoreError):
    pass


class Forbidden(BinStoreError):
    pass


class NotFound(BinStoreError):
    pass


class Conflict(BinStoreError):
    """The request clashes with another one still running."""


class PreconditionFailed(BinStoreError):
    """A condition the caller set (If-Match) does not hold."""


class Unprocessable(BinStoreError):
    """Well-formed, but contradicts an earlier request (an Idempotency-Key reused for another one)."""


class Busy(BinStoreError):
    """Too much contention to finish now; the caller may retry."""


class ContentTypeRequired(BadRequest):
    message = "You need to pass Content-Type set to application/json"


class InvalidBinId(BadRequest):
    message = "Invalid Bin Id provided"


class BlankBin(BadRequest):
    message = "Bin cannot be blank"


class InvalidJson(BadRequest):
    """Malformed JSON gets JSONBin's words; valid JSON that cannot be stored (nested too deeply, a
    number out of range) says why."""

    message = "Invalid JSON. Please try again"


class InvalidHeader(BadRequest):
    pass


class SchemaMismatch(BadRequest):
    """JSONBin's answer names the schema doc too: `schemaDocID` and `schemaDocName` beside the message."""

    prefix = "Schema Doc Validation Mismatch: "

    def __init__(self, detail: str):
        super().__init__(self.prefix + detail)

    def of_schema_doc(self, schema_doc_id: str | None, name: str | None) -> "SchemaMismatch":
        self.details = {"schemaDocID": schema_doc_id, "schemaDocName": name}
        return self


class SchemaDocUnresolvable(SchemaMismatch):
    """A schema doc stored before refs were checked at creation, with a ref that resolves nowhere."""

    def __init__(self):
        super().__init__(
            "the Schema Doc cannot be applied to records (a reference that does not resolve inside "
            "it, a type its draft does not define, ...): its owner must update the Schema Doc"
        )


class SchemaValidationTooCostly(SchemaMismatch):
    def __init__(self, seconds: float):
        super().__init__(
            f"validating the record takes more than {seconds:g}s: simplify the Schema Doc (its "
            "patterns, uniqueItems, or branches and references that multiply), or the record"
        )


class MasterKeyRequiredToDisableVersioning(Unauthorized):
    message = "You need to pass X-Master-Key in the header to turn off versioning of a public bin"


class RecordTooLargeForFreePlan(Forbidden):
    message = "Free users cannot update a record over 500kb. Upgrade to Pro plan to update records upto 1mb"


class RecordTooLarge(Forbidden):
    message = "Records over 1mb cannot be stored on any plan"


class RequestsExhausted(Forbidden):
    def __init__(self, buy_requests_at: str):
        super().__init__(f"Requests exhausted. Buy additional requests at {buy_requests_at}")


class VersioningNotAvailable(Forbidden):
    message = "Versioning is not available for the Free users. Upgrade to Pro plan to avail this feature"


class VersionLimitReached(Forbidden):
    def __init__(self, limit: int):
        super().__init__(
            f"A bin can keep at most {limit} versions. Delete its versions, or update it with X-Bin-Versioning: false"
        )


class RecordUnreadable(Busy):
    message = "The bin's record could not be read from storage"


class TooManyConcurrentUpdates(Busy):
    message = "The bin is receiving too many updates at once. Retry the request"


# Around the Update API. JSONBin words the same refusal differently on each route; each route
# names its texts (see binstore.access.BinRoute), and these classes carry them.


class KeyRequired(Unauthorized):
    pass


class InvalidKey(Unauthorized):
    pass


class PermissionDenied(Forbidden):
    def __init__(self, action: str):
        super().__init__(f"The X-Access-Key does not have the permission to {action} bins")


class InvalidAccessKey(Unauthorized):
    message = "Invalid X-Access-Key provided"


class InvalidVersion(BadRequest):
    message = "Bin version is invalid"


class VersionNotFound(NotFound):
    message = "Bin version not found"


class InvalidJsonPath(BadRequest):
    message = "Invalid X-JSON-Path expression passed"


class UnsupportedJsonPath(BadRequest):
    def __init__(self, what: str):
        super().__init__(
            f"X-JSON-Path uses {what}, which is not supported. Supported: $, @, .name, ['name'], "
            "one .., *, [n], [n,m], [start:end:step] and ?() filters comparing a member of @ "
            "with ==, !=, <, <=, >, >= (joined with && or ||)"
        )


class JsonPathTooCostly(BadRequest):
    message = "X-JSON-Path needs more work on this record than one read may take: narrow the expression"


class JsonPathResultTooLarge(BadRequest):
    def __init__(self, limit: int):
        super().__init__(f"X-JSON-Path selects more than {limit // 1024}kb of this record: narrow the expression")


class JsonPathTooDeep(BadRequest):
    message = "X-JSON-Path cannot be applied to a record nested this deeply"


class InvalidBinName(BadRequest):
    message = "X-Bin-Name must be between 1 and 128 characters"


class BinPrivacyRequired(BadRequest):
    message = "You need to provide X-Bin-Private header to change the Bin privacy"


class BinNameRequired(BadRequest):
    message = "You need to provide X-Bin-Name header to change the Bin name"


class InvalidCollectionId(BadRequest):
    message = "Invalid Collection Id provided"


class CollectionNotFound(NotFound):
    message = "Collection not found"


class CollectionNameRequired(BadRequest):
    message = "You need to pass X-Collection-Name header to set a name for the Collection"


class CollectionNameTooLong(BadRequest):
    message = "Name of the Collection cannot be above 32 characters"


class InvalidSortOrder(BadRequest):
    message = "X-Sort-Order must be ascending or descending"


class InvalidSchemaDocId(BadRequest):
    message = "Invalid Schema Id provided"


class SchemaDocNotFound(NotFound):
    message = "Schema Doc not found"


class SchemaDocIdRequired(BadRequest):
    message = "You need to pass X-Schema-Doc-Id in the header"


class SchemaDocNameRequired(BadRequest):
    message = "You need to pass X-Schema-Doc-Name header to set a name for the Schema Doc"


class SchemaDocNameTooLong(BadRequest):
    message = "Name of the Schema Doc cannot be above 32 characters"


class InvalidSchemaDoc(BadRequest):
    def __init__(self, detail: str):
        super().__init__(f"Schema Doc must be a valid JSON Schema: {detail}")


class SchemaDocTooLarge(BadRequest):
    def __init__(self, limit: int):
        super().__init__(f"Schema Doc cannot be larger than {limit // 1024}kb")


class SchemaDocTooCostly(BadRequest):
    def __init__(self, seconds: float):
        super().__init__(f"Schema Doc takes more than {seconds:g}s to check: simplify it")


class SchemaDocRefNotAllowed(BadRequest):
    def __init__(self, reference: str):
        super().__init__(
            f"Schema Doc can only refer to itself: the reference {reference} does not resolve inside "
            "it (refs to #/..., its anchors and the $ids it defines are allowed; nothing is fetched)"
        )


class NoSchemaDocAttached(BadRequest):
    message = "The Collection has no Schema Doc attached"


class SchemaDocEmptied(BadRequest):
    message = (
        "A Schema Doc cannot be changed to {} (or to annotations alone), which lets every record through: "
        "to stop validating a Collection's records, remove its Schema Doc; to rename the Schema Doc, pass "
        "X-Schema-Doc-Name"
    )


class SchemaDocAttachedToTooMany(Forbidden):
    def __init__(self, limit: int):
        super().__init__(f"A Schema Doc can be attached to at most {limit} Collections")


class AccessKeyNameRequired(BadRequest):
    message = "You need to pass X-Key-Name header to set a name for the Access Key"


class AccessKeyNameTooLong(BadRequest):
    message = "Name of the Access Key cannot be above 32 characters"


class InvalidAccessKeyPermissions(BadRequest):
    message = (
        'Access Key permissions must be sent as {"bins": {"create": true|false, "read": true|false, '
        '"update": true|false, "delete": true|false}}'
    )


class AccessKeyWithoutPermission(BadRequest):
    message = "An Access Key needs at least one of the create, read, update and delete permissions set to true"


class TooManyAccessKeys(Forbidden):
    def __init__(self, limit: int):
        super().__init__(f"You can create at most {limit} Access Keys. Delete one to create another")


class InvalidAccessKeyId(BadRequest):
    message = "Invalid Access Key Id provided"


class AccessKeyNotFound(NotFound):
    message = "Access Key not found or it doesn't belong to your account"


# Our extensions to JSONBin (see the README): conditional updates and idempotent retries.


class BinChanged(PreconditionFailed):
    message = "The bin has changed since the ETag given in If-Match: read it again, then retry"


class InvalidIdempotencyKey(BadRequest):
    message = "Idempotency-Key must be 1 to 255 visible ASCII characters"


class IdempotencyKeyInProgress(Conflict):
    message = "A request with this Idempotency-Key is still in progress: retry it later"


class AccessKeyShownOnce(Conflict):
    def __init__(self, access_key_id: str):
        super().__init__(
            f"The Access Key {access_key_id} was created by an earlier request with this Idempotency-Key, and "
            "a key is shown only once: delete it and create another"
        )


class IdempotencyKeyReused(Unprocessable):
    message = "This Idempotency-Key was already used for a different request"


class NoLogsFound(NotFound):
    message = "No logs found"


class LogNotFound(NotFound):
    def __init__(self, day: str):
        super().__init__(f"Backup not found for {day}")


class InvalidLogDay(BadRequest):
    message = "The date must be written DD-MM-YYYY"


class LogTooLarge(Unprocessable):
    def __init__(self, day: str, limit_mb: int):
        super().__init__(
            f"The usage log of {day} is over {limit_mb} MB, more than this service zips in one request: "
            "ask your service operator for it"
        )


# The operator's (binctl), never an answer over HTTP: there is no route on accounts.


class InvalidAccountId(BadRequest):
    message = "Invalid account id: an account id is 24 lowercase hexadecimal characters"


class AccountNotFound(NotFound):
    def __init__(self, account_id: str):
        super().__init__(f"No account {account_id}")


class ConcurrentRotation(Conflict):
    def __init__(self, account_id: str):
        super().__init__(
            f"Another rotation of account {account_id}'s master key ran at the same time and changed it first: "
            "this one made no key; run rotate-key again if you still want one"
        )


class RotationSuperseded(Conflict):
    def __init__(self, account_id: str):
        super().__init__(
            f"Another rotation of account {account_id}'s master key, started after this one, replaced the key "
            "this one made: the key that works is the one that rotation printed"
        )
