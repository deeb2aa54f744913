"""The one path every request on an existing bin follows, and JSONBin's words for its refusals.

What the request alone can refuse costs no AWS call; one batched read fetches the bin with the
caller's key and account; the route's rules authorise the caller; then the route acts, usually with
one conditional write that also spends one of the owner's requests, retried from a fresh read if
the bin changed meanwhile. A request that is refused spends nothing.
"""

from collections.abc import Callable

from binstore import errors
from binstore.access import BinRoute, Credentials, authorise_bin
from binstore.allowance import check_allowance
from binstore.ids import is_object_id
from binstore.model import BinMeta, Context
from binstore.retries import retry_on_conflict
from binstore.storage import Store

NOT_FOUND = "Bin not found or it doesn't belong to your account"
KEY_REQUIRED = "You need to pass X-Master-Key in the header"
# Routes an access key may use name both headers, as JSONBin's answers do now.
EITHER_KEY_REQUIRED = "You need to pass X-Master-Key or X-Access-Key in the header"
INVALID_KEY = "X-Master-Key is invalid or the bin doesn't belong to your account"


def on_bin[T](
    store: Store,
    route: BinRoute,
    bin_id: str,
    credentials: Credentials,
    act: Callable[[BinMeta, Context], T],
    allowance_needed: Callable[[], bool] = lambda: True,
) -> T:
    """Authorise `route` on the bin, then `act` on it; retried from a fresh read on a conflict.

    `allowance_needed` says whether the owner must still have a request left: not for a read that
    has already paid its own (the account may be at 0 because of it).
    """
    if not is_object_id(bin_id):
        raise errors.InvalidBinId()
    parsed = credentials.parsed()

    def attempt() -> T:
        context = store.read_context(bin_id, parsed.key_id if parsed else None, parsed.account_id if parsed else None)
        if context.bin is None:
            raise errors.NotFound(route.not_found)
        if authorise_bin(route, context.bin, credentials, parsed, context.key) and allowance_needed():
            # The bin's owner was deleted: nobody can be charged, and the bin is as good as gone.
            check_allowance(
                context.account,
                store.settings.buy_requests_at,
                errors.NotFound(route.not_found),
                store.accounts.whole,
            )
        return act(context.bin, context)

    return retry_on_conflict(store, attempt)
