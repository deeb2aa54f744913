"""An account's request allowance: checked before a request does any work, spent by its commit.

The check refuses early and for free; the commit's own condition (storage.charges) is what makes
the count exact when requests race, and its AllowanceSpent becomes JSONBin's refusal here, once.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from binstore import errors
from binstore.model import Account, AllowanceSpent


def check_allowance(
    account: Account | None,
    buy_requests_at: str,
    not_found: errors.BinStoreError,
    whole: Callable[[Account], Account],
) -> Account:
    """The acting account, if it has a request left to spend.

    An account as a request reads it holds only its account item's share of the allowance (see
    Account): `whole` reads all of it, and is called only when that share is empty, after the
    caller was authenticated (so a forged key never makes the request read more).

    `not_found` is what the route answers when the account is gone (a deleted owner: nobody can be charged).
    """
    if account is None:
        raise not_found
    if account.requests_remaining <= 0:
        account = whole(account)
    if account.requests_remaining <= 0:
        raise errors.RequestsExhausted(buy_requests_at)
    return account


@contextmanager
def spending(buy_requests_at: str) -> Iterator[None]:
    """Around a write that spends a request: a commit that found none left is "Requests exhausted"."""
    try:
        yield
    except AllowanceSpent:
        raise errors.RequestsExhausted(buy_requests_at) from None
