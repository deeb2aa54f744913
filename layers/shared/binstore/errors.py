"""Refusals, each with JSONBin's exact message text.

The categories (BadRequest, Unauthorized, Forbidden, NotFound, Busy) say why a request was refused;
the HTTP layer maps each category to its status code, so nothing here knows about HTTP.
"""


class BinStoreError(Exception):
    """A request refused with a message meant for the caller."""

    message = "Request refused"

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        super().__init__(self.message)


class BadRequest(BinStoreError):
    pass


class Unauthorized(BinStoreError):
    pass


class Forbidden(BinStoreError):
    pass


class NotFound(BinStoreError):
    pass


class Busy(BinStoreError):
    """Too much contention to finish now; the caller may retry."""


class ContentTypeRequired(BadRequest):
    message = "You need to pass Content-Type set to application/json"


class InvalidBinId(BadRequest):
    message = "Invalid Bin Id provided"


class BlankBin(BadRequest):
    message = "Bin cannot be blank"


class InvalidJson(BadRequest):
    message = "Bin must be valid JSON"


class InvalidHeader(BadRequest):
    pass


class SchemaMismatch(BadRequest):
    prefix = "Schema Doc Validation Mismatch: "

    def __init__(self, detail: str):
        super().__init__(self.prefix + detail)


class BinNotFound(NotFound):
    message = "Bin not found"


class MasterKeyRequired(Unauthorized):
    message = "You need to pass X-Master-Key in the header to update a private bin"


class MasterKeyRequiredToDisableVersioning(Unauthorized):
    message = "You need to pass X-Master-Key in the header to turn off versioning of a public bin"


class InvalidMasterKey(Unauthorized):
    message = "Invalid X-Master-Key provided or the bin does not belong to your account"


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
            f"A bin can keep at most {limit} versions. Delete its versions, "
            "or update it with X-Bin-Versioning: false"
        )


class TooManyConcurrentUpdates(Busy):
    message = "The bin is receiving too many updates at once. Retry the request"
