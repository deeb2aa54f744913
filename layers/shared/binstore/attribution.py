"""Which account (and bin) the request being served concerns: its usage log's owner (binstore.usage).

Set where the domain learns it (access.identify: the caller's key's account; access.authorise_bin:
the bin's owner), read when the request ends. A context variable, so a request's attribution never
leaks into another's; outside a request (binctl, a thread of a test) there is none, and nothing is
attributed.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Attribution:
    account_id: str | None = None
    bin_id: str | None = None
    by_key: bool = False  # whether the caller presented a valid key of the account


_current: ContextVar[Attribution | None] = ContextVar("usage_attribution", default=None)


def begin_request() -> None:
    """A request starts: it concerns no account until the domain says which."""
    _current.set(Attribution())


def attribute(account_id: str, bin_id: str | None = None, by_key: bool = True) -> None:
    """The request being served concerns `account_id` (and the bin `bin_id`); `by_key`: the caller
    presented a valid key of that account. Outside a request (binctl, a thread of a test), nothing
    is logged, so this does nothing."""
    attribution = _current.get()
    if attribution is not None:
        attribution.account_id = account_id
        attribution.bin_id = bin_id or attribution.bin_id
        attribution.by_key = by_key or attribution.by_key


def attributed() -> Attribution | None:
    return _current.get()
