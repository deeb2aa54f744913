"""A master key rotated by the operator (binctl account rotate-key), through the Lambda handler: the
new key works at once; the old one works until the end of its grace period, then is refused exactly
as an unknown key is, on routes on a bin and on the account alike."""

from datetime import UTC, datetime, timedelta

import pytest
from binstore import model, provisioning
from tests.support.events import api_event

ROTATED_AT = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
INVALID_ON_A_BIN = "X-Master-Key is invalid or the bin doesn't belong to your account"


@pytest.fixture
def clock(monkeypatch):
    """The domain's clock (model.now), set by the test: `clock.at = ...`."""

    class Clock:
        at = ROTATED_AT

    monkeypatch.setattr(model, "now", lambda: Clock.at)
    return Clock


def requests(bin_id: str) -> dict[str, dict]:
    """A request on a bin, and requests on the account itself (each checks the key its own way)."""
    return {
        "read a bin": api_event("GET", f"/v3/b/{bin_id}"),
        "create a bin": api_event("POST", "/v3/b", {"n": 1}, {"Content-Type": "application/json"}),
        "list access keys": api_event("GET", "/v3/a"),
        "describe the key": api_event("GET", "/v3/me"),
    }


def answers(invoke, bin_id: str, key: str) -> dict[str, tuple[int, dict]]:
    """Each request's status and body, made with `key` as X-Master-Key."""
    found = {}
    for name, event in requests(bin_id).items():
        event["headers"]["x-master-key"] = key
        status, _, body = invoke(event)
        found[name] = (status, body)
    return found


def unknown_key_of(account_id: str) -> str:
    """A well-formed key of the account that was never made: what an unknown key gets."""
    return f"{account_id}.{'0' * 16}.{'A' * 43}"


def test_the_old_key_works_within_the_grace_period_and_is_refused_as_an_unknown_key_after_it(invoke, pro, clock):
    bin_id = pro.create_bin({"n": 0})
    old = pro.master_key

    rotation = provisioning.rotate_master_key(pro.store, pro.account_id, GRACE)

    assert rotation.expiring == {old.split(".")[1]: ROTATED_AT + GRACE}
    clock.at = ROTATED_AT + GRACE - timedelta(milliseconds=1)
    within = answers(invoke, bin_id, old)
    assert {name: status for name, (status, _) in within.items()} == {
        "read a bin": 200, "create a bin": 200, "list access keys": 200, "describe the key": 200}
    # GET /v3/me tells a client holding the old key when to have switched; the new key has no end.
    assert within["describe the key"][1]["key"] == {"kind": "master", "expiresAt": "2030-05-01T12:05:00.000Z"}
    assert answers(invoke, bin_id, rotation.master_key)["describe the key"][1]["key"] == {"kind": "master"}

    clock.at = ROTATED_AT + GRACE
    refused = answers(invoke, bin_id, old)
    assert refused == answers(invoke, bin_id, unknown_key_of(pro.account_id))
    assert refused["read a bin"] == (401, {"message": INVALID_ON_A_BIN})
    assert refused["create a bin"] == (401, {"message": "Invalid X-Master-Key provided"})
    assert {name: status for name, (status, _) in answers(invoke, bin_id, rotation.master_key).items()} == {
        "read a bin": 200, "create a bin": 200, "list access keys": 200, "describe the key": 200}


def test_without_a_grace_period_the_old_key_is_refused_at_once_and_the_new_one_works(invoke, pro, clock):
    bin_id = pro.create_bin({"n": 0})
    old = pro.master_key

    rotation = provisioning.rotate_master_key(pro.store, pro.account_id)

    assert rotation.revoked == [old.split(".")[1]] and rotation.expiring == {}
    refused = answers(invoke, bin_id, old)
    assert refused == answers(invoke, bin_id, unknown_key_of(pro.account_id))
    assert refused["read a bin"] == (401, {"message": INVALID_ON_A_BIN})
    new = answers(invoke, bin_id, rotation.master_key)
    assert {name: status for name, (status, _) in new.items()} == {
        "read a bin": 200, "create a bin": 200, "list access keys": 200, "describe the key": 200}
    assert new["read a bin"][1]["record"] == {"n": 0}
