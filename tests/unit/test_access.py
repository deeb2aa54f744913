"""binstore.access: who may do what, decided from the request's credentials and what one read fetched."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from binstore import errors
from binstore.access import (
    ACCESS, INVALID_MASTER_KEY, MASTER, UPDATE, BinRoute, Credentials, acting_account, authenticate, authorise_bin,
    owned, valid_key,
)
from binstore.keys import generate_key, hash_secret, parse_key
from binstore.model import Account, BinMeta, Context, StoredKey

OWNER = "a" * 24
OTHER = "b" * 24
KEY_REQUIRED = "You need to pass X-Master-Key in the header to update a private bin"
INVALID = "Invalid X-Master-Key provided or the bin does not belong to your account"
ROUTE = BinRoute(UPDATE, KEY_REQUIRED, INVALID, "Bin not found", public_without_key=True)
KEYS_ONLY = BinRoute(UPDATE, KEY_REQUIRED, INVALID, "Bin not found")  # no keyless use, even of a public bin
MASTER_ONLY = BinRoute(None, KEY_REQUIRED, INVALID, "Bin not found")


def a_key(account_id: str = OWNER, kind: str = MASTER, *permissions: str) -> tuple[Credentials, StoredKey]:
    """Credentials presenting a new key, and the key as stored."""
    made = generate_key(account_id)
    stored = StoredKey(made.key_id, account_id, made.secret_hash, kind, frozenset(permissions))
    presented = Credentials(master_key=made.plaintext) if kind == MASTER else Credentials(access_key=made.plaintext)
    return presented, stored


def a_bin(private: bool = True, owner: str = OWNER) -> BinMeta:
    return BinMeta("c" * 24, owner, private, 1, "records/x", 0, None, "t", "t")


def authorise(route: BinRoute, bin: BinMeta, credentials: Credentials, stored: StoredKey | None) -> bool:
    return authorise_bin(route, bin, credentials, credentials.parsed(), stored)


# Credentials

def test_the_master_key_wins_when_both_are_presented():
    master, access = generate_key(OWNER).plaintext, generate_key(OWNER).plaintext
    both = Credentials(master_key=master, access_key=access)
    assert both.kind == MASTER and both.parsed() == parse_key(master)
    only_access = Credentials(access_key=access)
    assert only_access.kind == ACCESS and only_access.parsed() == parse_key(access)
    assert Credentials().kind is None and Credentials().parsed() is None
    assert Credentials(master_key="").kind == MASTER  # an empty header is a key, a malformed one
    assert Credentials(master_key="not-a-key").parsed() is None


# valid_key

def test_a_key_is_valid_as_the_kind_it_was_made():
    credentials, stored = a_key()
    assert valid_key(credentials.parsed(), stored, MASTER) is True
    assert valid_key(credentials.parsed(), stored, ACCESS) is False  # a master key offered as X-Access-Key
    access, stored_access = a_key(OWNER, ACCESS, "read")
    assert valid_key(access.parsed(), stored_access, ACCESS) is True
    assert valid_key(access.parsed(), stored_access, MASTER) is False


def test_a_key_is_invalid_unparsed_or_with_another_hash_or_account():
    credentials, stored = a_key()
    assert valid_key(None, stored, MASTER) is False  # malformed: nothing parsed
    rehashed = StoredKey(stored.key_id, OWNER, hash_secret("another secret"), MASTER)
    assert valid_key(credentials.parsed(), rehashed, MASTER) is False
    elsewhere = StoredKey(stored.key_id, OTHER, stored.secret_hash, MASTER)  # the key id names another account's
    assert valid_key(credentials.parsed(), elsewhere, MASTER) is False


EXPIRY = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_a_key_with_an_expiry_is_valid_until_then_and_not_from_then_on():
    credentials, stored = a_key()
    rotated = replace(stored, expires_at=EXPIRY)
    assert valid_key(credentials.parsed(), rotated, MASTER, EXPIRY - timedelta(milliseconds=1)) is True
    assert valid_key(credentials.parsed(), rotated, MASTER, EXPIRY) is False
    assert valid_key(credentials.parsed(), rotated, MASTER, EXPIRY + timedelta(days=1)) is False
    assert valid_key(credentials.parsed(), stored, MASTER, EXPIRY + timedelta(days=1)) is True  # no expiry: no end


def test_without_a_time_a_keys_expiry_is_judged_by_the_domains_clock(monkeypatch):
    from binstore import model

    credentials, stored = a_key()
    rotated = replace(stored, expires_at=EXPIRY)
    monkeypatch.setattr(model, "now", lambda: EXPIRY - timedelta(seconds=1))
    assert valid_key(credentials.parsed(), rotated, MASTER) is True
    monkeypatch.setattr(model, "now", lambda: EXPIRY)
    assert valid_key(credentials.parsed(), rotated, MASTER) is False


def test_an_expired_key_is_refused_on_a_bin_as_an_unknown_key_is(monkeypatch):
    from binstore import model

    credentials, stored = a_key()
    monkeypatch.setattr(model, "now", lambda: EXPIRY)
    refusals = []
    for with_stored in (replace(stored, expires_at=EXPIRY), None):
        with pytest.raises(errors.InvalidKey) as refused:
            authorise(ROUTE, a_bin(), credentials, with_stored)
        refusals.append(refused.value.message)
    assert refusals == [INVALID, INVALID]


# BinRoute.invalid

def test_a_refused_access_key_is_named_as_such():
    access, _ = a_key(OWNER, ACCESS)
    master, _ = a_key()
    assert ROUTE.invalid(access).message == "Invalid X-Access-Key provided or the bin does not belong to your account"
    assert ROUTE.invalid(master).message == INVALID
    assert ROUTE.invalid(Credentials()).message == INVALID
    assert isinstance(ROUTE.invalid(access), errors.InvalidKey)


# authorise_bin: no key

@pytest.mark.parametrize("route, private", [(ROUTE, True), (KEYS_ONLY, False), (KEYS_ONLY, True),
                                            (MASTER_ONLY, False)])
def test_no_key_is_refused_unless_the_route_is_open_on_a_public_bin(route, private):
    with pytest.raises(errors.KeyRequired) as refused:
        authorise(route, a_bin(private), Credentials(), None)
    assert refused.value.message == KEY_REQUIRED


def test_no_key_may_use_an_open_route_on_a_public_bin_and_is_not_the_owner():
    assert authorise(ROUTE, a_bin(private=False), Credentials(), None) is False


# authorise_bin: a key

@pytest.mark.parametrize("private", [True, False])
def test_the_owners_master_key_is_the_owner_on_any_route(private):
    credentials, stored = a_key()
    for route in (ROUTE, KEYS_ONLY, MASTER_ONLY):
        assert authorise(route, a_bin(private), credentials, stored) is True


@pytest.mark.parametrize("private", [True, False])
def test_a_key_must_be_valid_even_where_no_key_is_needed(private):
    credentials, stored = a_key()
    forged = Credentials(master_key=credentials.master_key[:-1] + ("A" if credentials.master_key[-1] != "A" else "B"))
    for presented, with_stored in [(forged, stored), (credentials, None), (Credentials(master_key="nope"), stored)]:
        with pytest.raises(errors.InvalidKey) as refused:
            authorise(ROUTE, a_bin(private), presented, with_stored)
        assert refused.value.message == INVALID


@pytest.mark.parametrize("kind", [MASTER, ACCESS])
def test_a_valid_key_of_another_account_is_refused(kind):
    credentials, stored = a_key(OTHER, kind, "create", "read", "update", "delete")
    with pytest.raises(errors.InvalidKey) as refused:
        authorise(ROUTE, a_bin(private=False, owner=OWNER), credentials, stored)
    assert refused.value.message == ROUTE.invalid(credentials).message


def test_an_access_key_needs_the_routes_permission():
    writer, stored_writer = a_key(OWNER, ACCESS, "update")
    assert authorise(ROUTE, a_bin(), writer, stored_writer) is True
    reader, stored_reader = a_key(OWNER, ACCESS, "read", "create", "delete")
    with pytest.raises(errors.PermissionDenied) as refused:
        authorise(ROUTE, a_bin(), reader, stored_reader)
    assert refused.value.message == "The X-Access-Key does not have the permission to update bins"


def test_an_access_key_with_every_permission_is_refused_on_a_master_only_route():
    credentials, stored = a_key(OWNER, ACCESS, "create", "read", "update", "delete")
    with pytest.raises(errors.InvalidKey) as refused:
        authorise(MASTER_ONLY, a_bin(), credentials, stored)
    assert refused.value.message == "Invalid X-Access-Key provided or the bin does not belong to your account"


def test_a_master_key_stored_as_an_access_key_is_refused_and_the_reverse():
    master, stored_master = a_key()
    as_access = Credentials(access_key=master.master_key)
    with pytest.raises(errors.InvalidKey):
        authorise(ROUTE, a_bin(), as_access, stored_master)
    access, stored_access = a_key(OWNER, ACCESS, "update")
    with pytest.raises(errors.InvalidKey):
        authorise(ROUTE, a_bin(), Credentials(master_key=access.access_key), stored_access)


# owned

def test_owned_gives_back_only_the_accounts_own_item():
    account = Account(OWNER, "pro", 10)
    not_found = errors.CollectionNotFound()
    mine, theirs = a_bin(owner=OWNER), a_bin(owner=OTHER)
    assert owned(mine, account, not_found) is mine
    for item in (theirs, None):
        with pytest.raises(errors.CollectionNotFound) as refused:
            owned(item, account, not_found)
        assert refused.value is not_found


# authenticate and acting_account (routes on the account itself), against a fake store

@dataclass
class _Settings:
    buy_requests_at: str = "the operator's shop"


class FakeStore:
    """What authenticate reads: one batched read of a key and its account."""

    def __init__(self, key: StoredKey | None = None, account: Account | None = None):
        self.key, self.account, self.reads = key, account, []
        self.settings = _Settings()
        self.accounts = self  # AccountTables.whole: an account with its allowance on one item is whole

    def whole(self, account: Account) -> Account:
        return account

    def read_context(self, bin_id, key_id, account_id):
        self.reads.append((bin_id, key_id, account_id))
        return Context(None, self.key if self.key and self.key.key_id == key_id else None, self.account)


def test_authenticate_answers_the_keys_account():
    credentials, stored = a_key()
    account = Account(OWNER, "pro", 5)
    store = FakeStore(stored, account)
    assert authenticate(store, credentials) == account
    assert store.reads == [(None, stored.key_id, OWNER)]
    access, stored_access = a_key(OWNER, ACCESS, "create")
    assert authenticate(FakeStore(stored_access, account), access, "create") == account


@pytest.mark.parametrize("credentials, action", [(Credentials(), None), (Credentials(), "create"),
                                                 (Credentials(access_key="x"), None)])
def test_authenticate_without_a_key_it_accepts_is_key_required(credentials, action):
    store = FakeStore()
    with pytest.raises(errors.KeyRequired) as refused:
        authenticate(store, credentials, action)
    assert refused.value.message == "You need to pass X-Master-Key in the header"
    assert store.reads == []


def test_authenticate_refuses_a_malformed_key_without_a_read():
    store = FakeStore()
    with pytest.raises(errors.InvalidKey) as refused:
        authenticate(store, Credentials(master_key="nope"))
    assert refused.value.message == INVALID_MASTER_KEY and store.reads == []
    with pytest.raises(errors.InvalidAccessKey):
        authenticate(store, Credentials(access_key="nope"), "create")


def test_authenticate_refuses_an_expired_master_key_as_an_unknown_one(monkeypatch):
    from binstore import model

    credentials, stored = a_key()
    account = Account(OWNER, "pro", 5)
    store = FakeStore(replace(stored, expires_at=EXPIRY), account)
    monkeypatch.setattr(model, "now", lambda: EXPIRY - timedelta(seconds=1))
    assert authenticate(store, credentials) == account
    monkeypatch.setattr(model, "now", lambda: EXPIRY)
    with pytest.raises(errors.InvalidKey) as refused:
        authenticate(store, credentials)
    assert refused.value.message == INVALID_MASTER_KEY


def test_authenticate_refuses_an_unknown_key_the_wrong_permission_and_a_deleted_account():
    credentials, stored = a_key()
    account = Account(OWNER, "pro", 5)
    with pytest.raises(errors.InvalidKey):
        authenticate(FakeStore(None, account), credentials)
    with pytest.raises(errors.InvalidKey) as refused:
        authenticate(FakeStore(stored, None), credentials)
    assert refused.value.message == INVALID_MASTER_KEY
    reader, stored_reader = a_key(OWNER, ACCESS, "read")
    with pytest.raises(errors.PermissionDenied):
        authenticate(FakeStore(stored_reader, account), reader, "create")
    with pytest.raises(errors.InvalidAccessKey):
        authenticate(FakeStore(stored, account), Credentials(access_key=credentials.master_key), "create")


def test_acting_account_needs_a_request_left():
    credentials, stored = a_key()
    assert acting_account(FakeStore(stored, Account(OWNER, "pro", 1)), credentials) == Account(OWNER, "pro", 1)
    with pytest.raises(errors.RequestsExhausted) as refused:
        acting_account(FakeStore(stored, Account(OWNER, "pro", 0)), credentials)
    assert refused.value.message == "Requests exhausted. Buy additional requests at the operator's shop"
