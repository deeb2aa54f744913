"""PUT /v3/b/<BIN_ID> through the Lambda handler, with DynamoDB and S3 emulated by moto."""

import io
import json

import pytest
from binstore.plans import MAX_VERSIONS_PER_BIN
from tests.conftest import EVENTS_DIR, Account, FakeContext, body_keys, stored_record, update_event

UNKNOWN_BIN = "0123456789abcdef01234567"
KB = 1024


def snapshot(store, account: Account, bin_id: str):
    """Everything an update could change: bin metadata, record, allowance, bodies, versions."""
    meta = store.bins.get(bin_id)
    versions = store.dynamodb.query(
        TableName=store.settings.bin_versions_table,
        KeyConditionExpression="binId = :b",
        ExpressionAttributeValues={":b": {"S": bin_id}},
    )["Items"]
    return meta, stored_record(store, bin_id), account.requests_remaining, body_keys(store, bin_id), versions


def sized_record(total_bytes: int) -> bytes:
    """A JSON body of exactly `total_bytes` bytes."""
    body = json.dumps({"data": "x" * (total_bytes - 12)}).encode()
    assert len(body) == total_bytes
    return body


# Success

def test_update_private_bin_returns_record_and_metadata(invoke, store, pro):
    bin_id = pro.create_bin()

    status, headers, body = invoke(update_event(
        bin_id, b'{"sample": "Hello again", "n": [1, 2.5, null]}', {"x-master-key": pro.master_key}))

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == {"record": {"sample": "Hello again", "n": [1, 2.5, None]},
                    "metadata": {"parentId": bin_id, "private": True}}
    assert stored_record(store, bin_id) == {"sample": "Hello again", "n": [1, 2.5, None]}


def test_response_body_is_compact_json_like_jsonbin(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, b'{ "a" :  1 }', {"x-master-key": pro.master_key})
    import api_handler as app

    response = app.lambda_handler(event, FakeContext())

    assert response["body"] == f'{{"record":{{"a":1}},"metadata":{{"parentId":"{bin_id}","private":true}}}}'


def test_update_spends_one_request_and_keeps_no_version(invoke, store, pro):
    bin_id = pro.create_bin()
    before = pro.requests_remaining

    invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key}))

    assert pro.requests_remaining == before - 1
    assert store.bins.get(bin_id).version_count == 0


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;charset=UTF-8",
])
def test_content_type_parameters_and_case_are_accepted(invoke, pro, content_type):
    bin_id = pro.create_bin()
    status, _, _ = invoke(update_event(bin_id, b'{"a": 1}', {"content-type": content_type,
                                                              "x-master-key": pro.master_key}))
    assert status == 200


def test_header_names_are_case_insensitive(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, b'{"a": 1}')
    event["headers"] = {"Content-Type": "application/json", "X-MASTER-KEY": pro.master_key}
    status, _, body = invoke(event)
    assert status == 200, body


@pytest.mark.parametrize("record", [
    [1, 2, 3], "text", 42, True, None, {"unicode": "héllo ☃ 𝄞", "escape": "a\"b\\c\n"},
    {"big": 12345678901234567890123456789, "small": 1e-7, "tenth": 0.1, "neg": -0.0},
])
def test_any_json_value_round_trips(invoke, store, pro, record):
    bin_id = pro.create_bin()
    status, _, body = invoke(update_event(bin_id, json.dumps(record).encode(), {"x-master-key": pro.master_key}))
    assert status == 200
    assert body["record"] == record
    assert stored_record(store, bin_id) == record


def test_key_order_is_kept(invoke, pro):
    bin_id = pro.create_bin()
    _, _, body = invoke(update_event(bin_id, b'{"z": 1, "a": 2, "m": 3}', {"x-master-key": pro.master_key}))
    assert list(body["record"]) == ["z", "a", "m"]


# Errors, each with JSONBin's status and text

def test_missing_content_type(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, b'{"a": 1}', {"x-master-key": pro.master_key})
    del event["headers"]["content-type"]
    assert invoke(event)[::2] == (400, {"message": "You need to pass Content-Type set to application/json"})


@pytest.mark.parametrize("content_type", ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type(invoke, pro, content_type):
    bin_id = pro.create_bin()
    status, _, body = invoke(update_event(bin_id, b'{"a": 1}', {"content-type": content_type,
                                                                 "x-master-key": pro.master_key}))
    assert (status, body) == (400, {"message": "You need to pass Content-Type set to application/json"})


@pytest.mark.parametrize("bin_id", [
    "123", "0123456789ABCDEF01234567", "0123456789abcdef0123456g", "0123456789abcdef012345678",
    "0123456789abcdef0123456", "latest", "%20",
])
def test_invalid_bin_id(invoke, bin_id):
    assert invoke(update_event(bin_id, b'{"a": 1}'))[::2] == (400, {"message": "Invalid Bin Id provided"})


def test_unknown_bin(invoke, pro):
    status, _, body = invoke(update_event(UNKNOWN_BIN, b'{"a": 1}', {"x-master-key": pro.master_key}))
    assert (status, body) == (404, {"message": "Bin not found"})


@pytest.mark.parametrize("blank", [b"", b"   \n\t "])
def test_blank_bin(invoke, pro, blank):
    bin_id = pro.create_bin()
    status, _, body = invoke(update_event(bin_id, blank, {"x-master-key": pro.master_key}))
    assert (status, body) == (400, {"message": "Bin cannot be blank"})


def test_absent_body_is_blank(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, None, {"x-master-key": pro.master_key})
    assert invoke(event)[::2] == (400, {"message": "Bin cannot be blank"})


@pytest.mark.parametrize("body, detail", [
    (b'{"a": 1', "Expecting"),
    (b"{'a': 1}", "Expecting property name"),
    (b'{"a": NaN}', "NaN is not a JSON value"),
    (b'{"a": Infinity}', "Infinity is not a JSON value"),
    (b'[-Infinity]', "-Infinity is not a JSON value"),
    (b'{"a": 1e400}', "out of range"),
    (b'{"a": 1} trailing', "Extra data"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"9" * 5000, "digits"),
])
def test_invalid_json_is_a_clear_400(invoke, pro, body, detail):
    bin_id = pro.create_bin()
    status, _, response = invoke(update_event(bin_id, body, {"x-master-key": pro.master_key}))
    assert status == 400
    assert response["message"].startswith("Bin must be valid JSON")
    assert detail in response["message"]


def test_body_that_is_not_utf8_is_a_clear_400(invoke, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, b'{"a": "\xff\xfe"}', {"x-master-key": pro.master_key}, base64_body=True)
    assert invoke(event)[::2] == (400, {"message": "Bin must be valid JSON encoded as UTF-8"})


def test_base64_encoded_json_body_is_accepted(invoke, store, pro):
    bin_id = pro.create_bin()
    event = update_event(bin_id, '{"a": "é"}'.encode(), {"x-master-key": pro.master_key}, base64_body=True)
    assert invoke(event)[0] == 200
    assert stored_record(store, bin_id) == {"a": "é"}


def test_private_bin_needs_master_key(invoke, pro):
    bin_id = pro.create_bin()
    status, _, body = invoke(update_event(bin_id, b'{"a": 1}'))
    assert (status, body) == (401, {"message": "You need to pass X-Master-Key in the header to update a private bin"})


INVALID_KEY = {"message": "Invalid X-Master-Key provided or the bin does not belong to your account"}


def test_another_accounts_key_is_refused(invoke, store, pro):
    bin_id = pro.create_bin()
    other = Account(store, "pro")
    assert invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": other.master_key}))[::2] == (401, INVALID_KEY)


def test_wrong_secret_for_the_owners_key_id_is_refused(invoke, pro):
    bin_id = pro.create_bin()
    account_id, key_id, secret = pro.master_key.split(".")
    forged = f"{account_id}.{key_id}.{'A' * len(secret)}"
    assert invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": forged}))[::2] == (401, INVALID_KEY)


@pytest.mark.parametrize("key", ["", "nope", "$2a$10$abcdefghijklmnopqrstuv"])
def test_malformed_key_is_refused(invoke, pro, key):
    bin_id = pro.create_bin()
    assert invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": key}))[::2] == (401, INVALID_KEY)


def test_key_of_a_deleted_key_record_is_refused(invoke, store, pro):
    bin_id = pro.create_bin()
    key_id = pro.master_key.split(".")[1]
    store.dynamodb.delete_item(TableName=store.settings.keys_table, Key={"keyId": {"S": key_id}})
    assert invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": pro.master_key}))[::2] == (401, INVALID_KEY)


# Public bins

def test_public_bin_updates_without_a_key_and_charges_its_owner(invoke, store, pro):
    bin_id = pro.create_bin(private=False)
    before = pro.requests_remaining

    status, _, body = invoke(update_event(bin_id, b'{"public": true}'))

    assert (status, body) == (200, {"record": {"public": True}, "metadata": {"parentId": bin_id, "private": False}})
    assert pro.requests_remaining == before - 1


def test_public_bin_is_versioned_by_default(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1}, private=False)
    invoke(update_event(bin_id, b'{"v": 2}'))
    assert store.bins.get(bin_id).version_count == 1
    assert stored_record(store, bin_id, version=1) == {"v": 1}
    assert stored_record(store, bin_id) == {"v": 2}


def test_only_the_owner_turns_versioning_off_on_a_public_bin(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1}, private=False)

    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false"}))
    assert (status, body) == (401, {"message": "You need to pass X-Master-Key in the header to turn off versioning of a public bin"})

    other = Account(store, "pro")
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false",
                                                                 "x-master-key": other.master_key}))
    assert (status, body) == (401, INVALID_KEY)
    assert store.bins.get(bin_id).version_count == 0

    status, _, _ = invoke(update_event(bin_id, b'{"v": 2}', {"x-bin-versioning": "false",
                                                             "x-master-key": pro.master_key}))
    assert status == 200
    assert store.bins.get(bin_id).version_count == 0
    assert stored_record(store, bin_id) == {"v": 2}


def test_free_owners_public_bin_is_not_versioned_by_default(invoke, store, free):
    bin_id = free.create_bin(private=False)
    assert invoke(update_event(bin_id, b'{"v": 2}'))[0] == 200
    assert store.bins.get(bin_id).version_count == 0


# Versioning

def test_private_bin_is_not_versioned_by_default(invoke, store, pro):
    bin_id = pro.create_bin()
    invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key}))
    assert store.bins.get(bin_id).version_count == 0


def test_versioned_update_keeps_the_previous_record(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1})
    for value in (2, 3):
        status, _, _ = invoke(update_event(bin_id, json.dumps({"v": value}).encode(),
                                           {"x-master-key": pro.master_key, "x-bin-versioning": "true"}))
        assert status == 200
    assert store.bins.get(bin_id).version_count == 2
    assert [stored_record(store, bin_id, n) for n in (1, 2)] == [{"v": 1}, {"v": 2}]
    assert stored_record(store, bin_id) == {"v": 3}


def test_versioning_is_not_available_to_free_users(invoke, store, free):
    bin_id = free.create_bin()
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": free.master_key,
                                                                 "x-bin-versioning": "true"}))
    assert (status, body) == (403, {"message": "Versioning is not available for the Free users. Upgrade to Pro plan to avail this feature"})


def test_versioning_header_must_be_true_or_false(invoke, pro):
    bin_id = pro.create_bin()
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key,
                                                                 "x-bin-versioning": "yes"}))
    assert (status, body) == (400, {"message": "X-Bin-Versioning must be true or false"})


def test_versions_are_capped_at_1000(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1})
    store.dynamodb.update_item(
        TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
        UpdateExpression="SET versionCount = :n", ExpressionAttributeValues={":n": {"N": str(MAX_VERSIONS_PER_BIN)}},
    )
    headers = {"x-master-key": pro.master_key, "x-bin-versioning": "true"}
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', headers))
    assert status == 403
    assert "at most 1000 versions" in body["message"]
    # An update that does not version still goes through.
    assert invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key}))[0] == 200


# Plans and the request allowance

def test_free_users_cannot_store_over_500kb(invoke, free):
    bin_id = free.create_bin()
    headers = {"x-master-key": free.master_key}
    assert invoke(update_event(bin_id, sized_record(500 * KB), headers))[0] == 200
    status, _, body = invoke(update_event(bin_id, sized_record(500 * KB + 1), headers))
    assert (status, body) == (403, {"message": "Free users cannot update a record over 500kb. Upgrade to Pro plan to update records upto 1mb"})


def test_pro_users_store_up_to_1mb(invoke, pro):
    bin_id = pro.create_bin()
    headers = {"x-master-key": pro.master_key}
    assert invoke(update_event(bin_id, sized_record(1024 * KB), headers))[0] == 200
    status, _, body = invoke(update_event(bin_id, sized_record(1024 * KB + 1), headers))
    assert (status, body) == (403, {"message": "Records over 1mb cannot be stored on any plan"})


def test_exhausted_allowance(invoke, store):
    account = Account(store, "pro")
    bin_id = account.create_bin()
    account.set_requests(2)
    headers = {"x-master-key": account.master_key}
    statuses = [invoke(update_event(bin_id, b'{"a": 1}', headers))[0] for _ in range(2)]
    status, _, body = invoke(update_event(bin_id, b'{"a": 2}', headers))
    assert statuses == [200, 200]
    assert (status, body) == (403, {"message": "Requests exhausted. Buy additional requests at your service operator"})
    assert account.requests_remaining == 0


# Schema docs

def test_bins_in_a_collection_are_validated_by_its_schema_doc(invoke, store, pro):
    schema = {"type": "object", "required": ["name"],
              "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    collection_id = pro.create_collection(pro.create_schema_doc(schema))
    bin_id = pro.create_bin({"name": "Ada", "age": 36}, collection_id=collection_id)
    headers = {"x-master-key": pro.master_key}

    status, _, body = invoke(update_event(bin_id, b'{"name": "Ada", "age": "old"}', headers))
    assert status == 400
    assert body["message"].startswith('Schema Doc Validation Mismatch: age:"old"')

    status, _, body = invoke(update_event(bin_id, b'{"age": 37}', headers))
    assert status == 400
    assert body["message"].startswith("Schema Doc Validation Mismatch: name:undefined")

    assert invoke(update_event(bin_id, b'{"name": "Ada", "age": 37}', headers))[0] == 200
    assert stored_record(store, bin_id) == {"name": "Ada", "age": 37}


# A rejected request changes nothing that is stored

REJECTIONS = {
    "wrong content type": (b'{"a": 1}', {"content-type": "text/plain"}, 400),
    "blank": (b"", {}, 400),
    "invalid json": (b"{", {}, 400),
    "no key": (b'{"a": 1}', {"x-master-key": None}, 401),
    "wrong key": (b'{"a": 1}', {"x-master-key": "0" * 24 + "." + "0" * 16 + "." + "A" * 43}, 401),
    "versioning on free": (b'{"a": 1}', {"x-bin-versioning": "true"}, 403),
    "over 500kb on free": (sized_record(500 * KB + 1), {}, 403),
    "over 1mb": (sized_record(1024 * KB + 1), {}, 403),
    "schema mismatch": (b'{"name": 1}', {}, 400),
    "bad versioning header": (b'{"a": 1}', {"x-bin-versioning": "maybe"}, 400),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_a_rejected_update_changes_nothing(invoke, store, free, case):
    collection_id = free.create_collection(free.create_schema_doc({"type": "object", "properties": {"name": {"type": "string"}}}))
    bin_id = free.create_bin({"name": "kept"}, collection_id=collection_id)
    body, extra_headers, expected_status = REJECTIONS[case]
    headers = {"x-master-key": free.master_key, **extra_headers}
    headers = {name: value for name, value in headers.items() if value is not None}
    before = snapshot(store, free, bin_id)

    status, _, response = invoke(update_event(bin_id, body, headers))

    assert status == expected_status, response
    assert snapshot(store, free, bin_id) == before


def test_exhausted_allowance_changes_nothing(invoke, store):
    account = Account(store, "pro")
    bin_id = account.create_bin()
    account.set_requests(0)
    before = snapshot(store, account, bin_id)
    assert invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": account.master_key}))[0] == 403
    assert snapshot(store, account, bin_id) == before


# The envelope of everything else

def test_unknown_route_is_a_json_404(invoke):
    event = update_event(UNKNOWN_BIN, b"{}")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v3/nothing-here"
    assert invoke(event)[::2] == (404, {"message": "Not Found"})


def test_unexpected_failure_is_a_json_500_without_internals(invoke, store, pro, monkeypatch):
    bin_id = pro.create_bin()

    def broken(*_, **__):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store, "read_context", broken)
    status, _, body = invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": pro.master_key}))
    assert (status, body) == (500, {"message": "Internal server error"})


def test_logs_carry_no_key_and_no_record(invoke, pro):
    import api_handler as app

    bin_id = pro.create_bin()
    marker = "very-private-record-content"
    buffer = io.StringIO()
    previous = app.logger.registered_handler.setStream(buffer)
    try:
        for headers in ({"x-master-key": pro.master_key}, {"x-master-key": pro.master_key + "x"}):
            invoke(update_event(bin_id, json.dumps({"secret": marker}).encode(), headers))
    finally:
        app.logger.registered_handler.setStream(previous)
    logs = buffer.getvalue()
    assert bin_id in logs  # the logs are there, and name the bin
    assert pro.master_key.split(".")[2] not in logs
    assert marker not in logs


# The sample events under events/, as `sam local invoke` would send them

def sample_event(name: str, bin_id: str, master_key: str | None = None) -> dict:
    event = json.loads((EVENTS_DIR / name).read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v3/b/{bin_id}"
    event["pathParameters"] = {"binId": bin_id}
    if master_key is not None:
        event["headers"]["x-master-key"] = master_key
    return event


def test_sample_events_give_the_documented_answers(invoke, store, pro):
    bin_id = pro.create_bin()
    assert invoke(sample_event("update-bin.json", bin_id, pro.master_key))[::2] == (
        200, {"record": {"sample": "Hello World"}, "metadata": {"parentId": bin_id, "private": True}})
    assert invoke(sample_event("update-bin-bad-key.json", bin_id))[::2] == (401, INVALID_KEY)
    assert invoke(sample_event("update-bin-blank.json", bin_id, pro.master_key))[::2] == (
        400, {"message": "Bin cannot be blank"})


# A commit whose answer is lost

def test_commit_with_a_lost_answer_never_discards_the_body_the_bin_points_at(invoke, store, pro, monkeypatch):
    from binstore.model import StorageUnavailable

    bin_id = pro.create_bin({"v": 1})
    real_commit = store.bins.commit_update

    def applied_but_answer_lost(*args, **kwargs):
        real_commit(*args, **kwargs)
        raise StorageUnavailable("ReadTimeoutError")  # as storage reports a failure it cannot place

    monkeypatch.setattr(store.bins, "commit_update", applied_but_answer_lost)
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key}))

    assert (status, body) == (503, {"message": "The service could not reach its storage: retry the request"})
    assert stored_record(store, bin_id) == {"v": 2}  # the body the bin points at is still there


def test_transaction_carries_an_idempotency_token(invoke, store, pro):
    bin_id = pro.create_bin()
    tokens = []

    def capture(params, **_):
        tokens.append(params.get("ClientRequestToken"))

    store.dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", capture)
    invoke(update_event(bin_id, b'{"v": 2}', {"x-master-key": pro.master_key}))
    assert len(tokens) == 1 and tokens[0]


def test_a_request_logs_no_bin_id_of_an_earlier_one(invoke, pro):
    import api_handler as app

    bin_id = pro.create_bin()
    invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": pro.master_key}))
    event = update_event(UNKNOWN_BIN, b"{}")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v3/nothing-here"
    buffer = io.StringIO()
    previous = app.logger.registered_handler.setStream(buffer)
    try:
        invoke(event)
        app.logger.info("probe after a request that names no bin")
    finally:
        app.logger.registered_handler.setStream(previous)
    last_line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert "bin_id" not in last_line
