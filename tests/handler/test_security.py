"""Security review, as tests: keys, logs, and who may touch whose bins (see SECURITY.md)."""

import base64
import hmac
import json

import pytest
from binstore import keys
from botocore.exceptions import ClientError
from tests.conftest import Account, api_event, body_keys, stored_record, update_event

SECRET_RECORD = "tr0ub4dor-record-body-marker"


def everything_stored(store) -> str:
    """Every item of every table and every body in the bucket, as one string to search."""
    dumped = []
    for table in store.dynamodb.list_tables()["TableNames"]:
        dumped.append(json.dumps(store.dynamodb.scan(TableName=table)["Items"]))
    return "\n".join(dumped)


# Keys

def test_secrets_are_random_and_at_least_128_bits():
    made = [keys.generate_key("0123456789abcdef01234567") for _ in range(200)]
    secrets_ = [keys.parse_key(key.plaintext).secret for key in made]
    assert len(set(secrets_)) == len(secrets_) and len({key.key_id for key in made}) == len(made)
    for secret in secrets_:
        assert len(base64.urlsafe_b64decode(secret + "=")) * 8 >= 128


def test_keys_are_stored_only_as_hashes(store, pro):
    access_key = pro.create_access_key("read", "update")
    stored = everything_stored(store)
    for plaintext in (pro.master_key, access_key):
        assert plaintext not in stored
        assert keys.parse_key(plaintext).secret not in stored
        assert keys.hash_secret(keys.parse_key(plaintext).secret) in stored


def test_keys_are_compared_in_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    made = keys.generate_key("0123456789abcdef01234567")
    wrong = keys.parse_key(made.plaintext[:-1] + ("A" if made.plaintext[-1] != "A" else "B"))

    assert keys.key_matches(wrong, "0123456789abcdef01234567", made.secret_hash) is False
    # Both the account and the secret's hash went through compare_digest, even though the account matched.
    assert len(compared) == 2


def test_a_full_request_cycle_logs_no_key_and_no_record(invoke, store, pro, free, debug_logs, monkeypatch):
    """Every route a key and a record pass through, refusals and a storage failure included, with our
    loggers and Powertools' at DEBUG: the most an operator can turn on (POWERTOOLS_LOG_LEVEL)."""
    access_key = pro.create_access_key("create", "read", "update", "delete")
    master = {"x-master-key": pro.master_key}
    body = {"secret": SECRET_RECORD}
    status, _, created = invoke(api_event("POST", "/v3/b", body, {**master, "idempotency-key": "k1"}))
    assert status == 200
    bin_id = created["metadata"]["id"]
    for event in [
        update_event(bin_id, json.dumps(body).encode(), {**master, "x-bin-versioning": "true"}),
        update_event(bin_id, json.dumps(body).encode(), {"x-access-key": access_key, "idempotency-key": "k2"}),
        api_event("GET", f"/v3/b/{bin_id}", headers=master),
        api_event("GET", f"/v3/b/{bin_id}/1", headers={"x-access-key": access_key}),
        api_event("GET", f"/v3/b/{bin_id}", headers={"x-master-key": free.master_key}),  # refused
        update_event(bin_id, b'{"secret": "' + SECRET_RECORD.encode() + b'"', master),  # invalid JSON
        api_event("POST", "/v3/s", {"type": "object", "description": SECRET_RECORD}, master),
    ]:
        assert invoke(event)[0] in (200, 400, 401)

    def failing(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutObject")

    monkeypatch.setattr(store.s3, "put_object", failing)
    assert invoke(update_event(bin_id, json.dumps(body).encode(), master))[0] == 503
    monkeypatch.undo()
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=master))[0] == 200

    logs = debug_logs()
    assert '"bin_id"' in logs  # the JSON lines, extra fields and all
    assert "Bin updated" in logs and "Request refused" in logs and "Storage unavailable" in logs  # logs were captured
    for secret in (pro.master_key, access_key, free.master_key, keys.parse_key(pro.master_key).secret,
                   keys.parse_key(access_key).secret, SECRET_RECORD):
        assert secret not in logs


def test_template_never_turns_on_event_logging():
    """POWERTOOLS_LOGGER_LOG_EVENT would log every request's headers, keys included."""
    from local.template import load_template

    assert "LOG_EVENT" not in json.dumps(load_template())


# Authorization across accounts

@pytest.fixture
def owner_bin(pro):
    return pro.create_bin({"owner": "data"})


def other_accounts_keys(store) -> dict[str, dict]:
    other = Account(store, "pro")
    return {
        "master key": {"x-master-key": other.master_key},
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
        headers = {**headers, "x-bin-private": "false", "x-bin-name": "mine now"}
        status, _, answer = invoke(api_event(method, path.format(bin=owner_bin), body, headers))
        assert status in (401, 403), (name, status, answer)
        assert set(answer) == {"message"} and "owner" not in json.dumps(answer)
    assert (store.bins.get(owner_bin), body_keys(store, owner_bin), pro.requests_remaining) == before
    assert stored_record(store, owner_bin) == {"owner": "data"}


def test_only_the_owner_turns_versioning_off_on_a_public_bin(invoke, store, pro):
    bin_id = pro.create_bin({"n": 0}, private=False)
    stranger = other_accounts_keys(store)["master key"]

    for headers in ({}, stranger):
        status, _, _ = invoke(update_event(bin_id, b'{"n": 1}', {**headers, "x-bin-versioning": "false"}))
        assert status == 401
    assert stored_record(store, bin_id) == {"n": 0}

    assert invoke(update_event(bin_id, b'{"n": 2}', {"x-master-key": pro.master_key,
                                                     "x-bin-versioning": "false"}))[0] == 200
    assert store.bins.get(bin_id).version_count == 0


def test_revoked_unknown_and_malformed_keys_are_refused(invoke, store, pro, owner_bin):
    from binstore import provisioning

    revoked = pro.create_access_key("read", "update")
    provisioning.revoke_access_key(store, pro.master_key, revoked)
    unknown = keys.generate_key(pro.account_id).plaintext  # well-formed, right account, never stored
    for headers in ({"x-access-key": revoked}, {"x-master-key": unknown}, {"x-access-key": unknown},
                    {"x-master-key": "not-a-key"}, {"x-master-key": pro.master_key + "x"}):
        assert invoke(api_event("GET", f"/v3/b/{owner_bin}", headers=headers))[0] == 401, headers
        assert invoke(update_event(owner_bin, b'{"n": 1}', headers))[0] == 401, headers
    assert stored_record(store, owner_bin) == {"owner": "data"}


def test_a_master_key_of_one_account_cannot_pass_as_another_accounts(invoke, store, pro, owner_bin):
    """The account id inside a key is checked against the stored key's, not trusted."""
    other = Account(store, "pro")
    forged = pro.account_id + other.master_key[24:]  # our account id, their key id and secret
    assert invoke(api_event("GET", f"/v3/b/{owner_bin}", headers={"x-master-key": forged}))[0] == 401
