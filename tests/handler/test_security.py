"""Security review, as tests: keys, and who may touch whose bins (see SECURITY.md). What the logs may
hold is in test_logs.py; the key format itself, in tests/unit/test_keys.py."""

import json

import pytest
from binstore import access_keys, keys
from tests.support.events import api_event, update_event
from tests.support.store import Account, body_keys, master, stored_record

# The refusal of a key that is not the bin owner's, as JSONBin words it on the Update API and elsewhere.
REFUSED = {
    ("x-master-key", "update"): "Invalid X-Master-Key provided or the bin does not belong to your account",
    ("x-access-key", "update"): "Invalid X-Access-Key provided or the bin does not belong to your account",
    ("x-master-key", "other"): "X-Master-Key is invalid or the bin doesn't belong to your account",
    ("x-access-key", "other"): "X-Access-Key is invalid or the bin doesn't belong to your account",
}


def refused(headers: dict, method: str, path: str) -> tuple[int, dict]:
    (header,) = [name for name in headers if name in ("x-master-key", "x-access-key")]
    route = "update" if (method, path) == ("PUT", "/v3/b/{bin}") else "other"
    return 401, {"message": REFUSED[header, route]}


def everything_stored(store) -> str:
    """Every item of every table, as one string to search."""
    dumped = []
    for table in store.dynamodb.list_tables()["TableNames"]:
        dumped.append(json.dumps(store.dynamodb.scan(TableName=table)["Items"]))
    return "\n".join(dumped)


# Keys

def test_keys_are_stored_only_as_hashes(store, pro):
    access_key = pro.create_access_key("read", "update")
    stored = everything_stored(store)
    for plaintext in (pro.master_key, access_key):
        assert plaintext not in stored
        assert keys.parse_key(plaintext).secret not in stored
        assert keys.hash_secret(keys.parse_key(plaintext).secret) in stored


# Authorization across accounts

@pytest.fixture
def owner_bin(pro):
    return pro.create_bin({"owner": "data"})


def other_accounts_keys(store) -> dict[str, dict]:
    other = Account(store, "pro")
    return {
        "master key": master(other),
        "access key with every permission": {"x-access-key": other.create_access_key("create", "read", "update",
                                                                                       "delete")},
    }


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/v3/b/{bin}", None),
    ("GET", "/v3/b/{bin}/latest", None),
    ("GET", "/v3/b/{bin}/versions/count", None),
    ("PUT", "/v3/b/{bin}", {"stolen": True}),
    ("DELETE", "/v3/b/{bin}", None),
    ("DELETE", "/v3/b/{bin}/versions", None),
    ("PUT", "/v3/b/{bin}/meta/privacy", None),
    ("PUT", "/v3/b/{bin}/meta/name", None),
])
def test_another_accounts_key_never_touches_a_private_bin(invoke, store, pro, owner_bin, method, path, body):
    before = (store.bins.get(owner_bin), body_keys(store, owner_bin), pro.requests_remaining)
    for name, headers in other_accounts_keys(store).items():
        answer = invoke(api_event(method, path.format(bin=owner_bin), body,
                                  {**headers, "x-bin-private": "false", "x-bin-name": "mine now"}))
        assert answer[::2] == refused(headers, method, path), name
        assert "owner" not in json.dumps(answer[2])
    assert (store.bins.get(owner_bin), body_keys(store, owner_bin), pro.requests_remaining) == before
    assert stored_record(store, owner_bin) == {"owner": "data"}


def test_a_master_key_of_one_account_cannot_pass_as_another_accounts(invoke, store, pro, owner_bin):
    """The account id inside a key is checked against the stored key's, not trusted."""
    other = Account(store, "pro")
    forged = pro.account_id + other.master_key[24:]  # our account id, their key id and secret
    assert invoke(api_event("GET", f"/v3/b/{owner_bin}", headers={"x-master-key": forged}))[0] == 401


# Keys that are not (or no longer) keys

def revoked_after_use(invoke, store, pro, bin_id) -> dict:
    revoked = {"x-access-key": pro.create_access_key("read", "update")}
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=revoked))[0] == 200  # it worked until revoked
    access_keys.revoke_access_key(store, pro.credentials, revoked["x-access-key"])
    return revoked


def deleted_key_record(invoke, store, pro, bin_id) -> dict:
    key_id = pro.master_key.split(".")[1]
    store.dynamodb.delete_item(TableName=store.settings.keys_table, Key={"keyId": {"S": key_id}})
    return master(pro)


def wrong_secret(invoke, store, pro, bin_id) -> dict:
    account_id, key_id, secret = pro.master_key.split(".")
    return {"x-master-key": f"{account_id}.{key_id}.{'A' * len(secret)}"}


def unknown_key_of(account) -> str:
    """Well-formed, of the right account, never stored."""
    return keys.generate_key(account.account_id).plaintext


NOT_KEYS = {
    "revoked access key": revoked_after_use,
    "master key whose key record was deleted": deleted_key_record,
    "owner's key id with a wrong secret": wrong_secret,
    "unknown master key": lambda invoke, store, pro, bin_id: {"x-master-key": unknown_key_of(pro)},
    "unknown access key": lambda invoke, store, pro, bin_id: {"x-access-key": unknown_key_of(pro)},
    "master key and a character more": lambda invoke, store, pro, bin_id: {"x-master-key": pro.master_key + "x"},
    "malformed: not-a-key": lambda *_: {"x-master-key": "not-a-key"},
    "malformed: nope": lambda *_: {"x-master-key": "nope"},
    "malformed: empty": lambda *_: {"x-master-key": ""},
    "malformed: a bcrypt hash": lambda *_: {"x-master-key": "$2a$10$abcdefghijklmnopqrstuv"},
}


@pytest.mark.parametrize("make_headers", NOT_KEYS.values(), ids=NOT_KEYS.keys())
def test_revoked_unknown_and_malformed_keys_are_refused_on_reads_and_updates(invoke, store, pro, owner_bin,
                                                                            make_headers):
    """Well-formed ones are generated for the right account (unknown), or were real (revoked, deleted)."""
    headers = make_headers(invoke, store, pro, owner_bin)
    assert invoke(api_event("GET", f"/v3/b/{owner_bin}", headers=headers))[::2] == refused(
        headers, "GET", "/v3/b/{bin}")
    assert invoke(update_event(owner_bin, b'{"n": 1}', headers))[::2] == refused(headers, "PUT", "/v3/b/{bin}")
    assert stored_record(store, owner_bin) == {"owner": "data"}


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/v3/b/{bin}", {"x-master-key": "{key}", "x-bin-meta": "false"}),  # the bare record
    ("GET", "/v3/b/{bin}", {}),  # refused: no key
    ("GET", "/v3/me", {"x-master-key": "{key}"}),
    ("PUT", "/v3/b/not-an-id", {"x-master-key": "{key}"}),
])
def test_every_answer_forbids_content_sniffing(invoke, pro, method, path, headers):
    bin_id = pro.create_bin({"html": "<script>alert(1)</script>"})
    sent = {name: value.format(key=pro.master_key) for name, value in headers.items()}
    _, answered, _ = invoke(api_event(method, path.format(bin=bin_id), headers=sent))
    assert answered["X-Content-Type-Options"] == "nosniff"
