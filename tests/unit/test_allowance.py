"""binstore.allowance: the early check of an account's requests, and the commit's own refusal."""

import pytest
from binstore import errors
from binstore.allowance import check_allowance, spending
from binstore.model import Account, AllowanceSpent, CommitConflict

WHERE = "https://operator.example/buy"


def as_read(account: Account) -> Account:
    """An allowance on one item: the account as read is all of it."""
    return account


def test_a_missing_account_is_the_routes_own_refusal():
    not_found = errors.NotFound("Bin not found")
    with pytest.raises(errors.NotFound) as refused:
        check_allowance(None, WHERE, not_found, as_read)
    assert refused.value is not_found


@pytest.mark.parametrize("remaining", [0, -1])
def test_no_request_left_is_requests_exhausted_saying_where_to_buy(remaining):
    with pytest.raises(errors.RequestsExhausted) as refused:
        check_allowance(Account("a" * 24, "free", remaining), WHERE, errors.NotFound(), as_read)
    assert refused.value.message == f"Requests exhausted. Buy additional requests at {WHERE}"


@pytest.mark.parametrize("remaining", [1, 2, 10_000])
def test_an_account_with_a_request_left_is_the_acting_account(remaining):
    account = Account("a" * 24, "free", remaining)

    def whole(read: Account) -> Account:
        raise AssertionError("a share with requests left needs no other read")

    assert check_allowance(account, WHERE, errors.NotFound(), whole) is account


def test_an_empty_share_reads_the_whole_allowance_and_goes_on_if_it_has_requests():
    read_share = Account("a" * 24, "free", 0, allowance_shards=32)
    whole_allowance = Account("a" * 24, "free", 7, allowance_shards=32)
    assert check_allowance(read_share, WHERE, errors.NotFound(), lambda read: whole_allowance) is whole_allowance


def test_a_commit_that_found_no_request_left_is_requests_exhausted():
    with pytest.raises(errors.RequestsExhausted) as refused, spending(WHERE):
        raise AllowanceSpent()
    assert refused.value.message == f"Requests exhausted. Buy additional requests at {WHERE}"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


@pytest.mark.parametrize("error", [CommitConflict(), ValueError("other"), errors.BlankBin()])
def test_other_errors_pass_through_spending_unchanged(error):
    with pytest.raises(type(error)) as raised, spending(WHERE):
        raise error
    assert raised.value is error


def test_spending_without_an_error_lets_the_write_finish():
    done = []
    with spending(WHERE):
        done.append(1)
    assert done == [1]
