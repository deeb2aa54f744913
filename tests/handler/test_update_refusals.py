"""PUT /v3/b/<BIN_ID> refused, each with JSONBin's status and text, and a refused update changes nothing.

Invalid JSON is in test_round_trip.py; keys that are not the owner's, in test_security.py.
"""

import json
from dataclasses import dataclass, field

import pytest
from binstore.plans import MAX_VERSIONS_PER_BIN
from tests.support.events import update_event
from tests.support.store import UNKNOWN_ID, UNKNOWN_KEY, Account, body_keys, master, stored_record

KB = 1024
CONTENT_TYPE = "You need to pass Content-Type set to application/json"
INVALID_BIN_ID = "Invalid Bin Id provided"
BLANK = "Bin cannot be blank"


def sized_record(total_bytes: int) -> bytes:
    """A JSON body of exactly `total_bytes` bytes."""
    body = json.dumps({"data": "x" * (total_bytes - 12)}).encode()
    assert len(body) == total_bytes
    return body


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    body: bytes | None = b'{"a": 1}'
    headers: dict = field(default_factory=dict)  # over the owner's master key; None takes a header out
    bin_id: str | None = None  # None: a private bin of the account's
    plan: str = "pro"
    base64: bool = False
    path: str | None = None  # another path than the bin's
    before_any_aws_call: bool = False  # refused from the request alone


def bad_bin_id(bin_id: str) -> Refusal:
    return Refusal(400, INVALID_BIN_ID, bin_id=bin_id, headers={"x-master-key": None}, before_any_aws_call=True)


REFUSALS = {
    "no Content-Type": Refusal(400, CONTENT_TYPE, headers={"content-type": None}, before_any_aws_call=True),
    **{f"Content-Type {value!r}": Refusal(400, CONTENT_TYPE, headers={"content-type": value}, before_any_aws_call=True)
       for value in ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", ""]},
    **{f"bin id {bin_id!r}": bad_bin_id(bin_id) for bin_id in [
        "123", "nope", "0123456789ABCDEF01234567", "0123456789abcdef0123456g", "0123456789abcdef012345678",
        "0123456789abcdef0123456", "latest", "%20"]},
    "unknown bin": Refusal(404, "Bin not found", bin_id=UNKNOWN_ID),
    "empty body": Refusal(400, BLANK, body=b"", before_any_aws_call=True),
    "whitespace body": Refusal(400, BLANK, body=b"   \n\t ", before_any_aws_call=True),
    "no body": Refusal(400, BLANK, body=None, before_any_aws_call=True),
    "empty object": Refusal(400, BLANK, body=b" { } ", before_any_aws_call=True),
    "body not UTF-8": Refusal(400, "Invalid JSON. Please try again", body=b'{"a": "\xff\xfe"}', base64=True),
    "body over every plan": Refusal(403, "Records over 1mb cannot be stored on any plan", body=b"x" * (1024 * KB + 1),
                                    before_any_aws_call=True),
    "private bin without a key": Refusal(401, "You need to pass X-Master-Key in the header to update a private bin",
                                         headers={"x-master-key": None}),
    "versioning on the free plan": Refusal(
        403, "Versioning is not available for the Free users. Upgrade to Pro plan to avail this feature",
        headers={"x-bin-versioning": "true"}, plan="free"),
    "versioning header neither true nor false": Refusal(400, "X-Bin-Versioning must be true or false",
                                                        headers={"x-bin-versioning": "yes"}),
    "unknown route": Refusal(404, "Not Found", body=b"{}", bin_id=UNKNOWN_ID, headers={"x-master-key": None},
                             path="/v3/nothing-here"),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_bad_request_gets_jsonbins_status_and_text(invoke, request, aws_calls, refusal):
    account = request.getfixturevalue(refusal.plan)
    bin_id = refusal.bin_id or account.create_bin()
    event = update_event(bin_id, refusal.body, {**master(account), **refusal.headers}, base64_body=refusal.base64)
    event["headers"] = {name: value for name, value in event["headers"].items() if value is not None}
    if refusal.path:
        event["rawPath"] = event["requestContext"]["http"]["path"] = refusal.path
    aws_calls.clear()

    assert invoke(event)[::2] == (refusal.status, {"message": refusal.message})
    if refusal.before_any_aws_call:
        assert aws_calls == []


# Plans and the request allowance

@pytest.mark.parametrize("plan, limit, message", [
    ("free", 500 * KB, "Free users cannot update a record over 500kb. Upgrade to Pro plan to update records upto 1mb"),
    ("pro", 1024 * KB, "Records over 1mb cannot be stored on any plan"),
])
def test_a_plan_stores_a_record_at_its_limit_and_refuses_one_byte_more(invoke, request, plan, limit, message):
    account = request.getfixturevalue(plan)
    bin_id = account.create_bin()
    assert invoke(update_event(bin_id, sized_record(limit), master(account)))[0] == 200
    status, _, body = invoke(update_event(bin_id, sized_record(limit + 1), master(account)))
    assert (status, body) == (403, {"message": message})


def test_versions_are_capped_at_1000(invoke, store, pro):
    bin_id = pro.create_bin({"v": 1})
    store.dynamodb.update_item(
        TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
        UpdateExpression="SET versionCount = :n", ExpressionAttributeValues={":n": {"N": str(MAX_VERSIONS_PER_BIN)}},
    )
    status, _, body = invoke(update_event(bin_id, b'{"v": 2}', {**master(pro), "x-bin-versioning": "true"}))
    assert status == 403
    assert "at most 1000 versions" in body["message"]
    # An update that does not version still goes through.
    assert invoke(update_event(bin_id, b'{"v": 2}', master(pro)))[0] == 200


# A rejected request changes nothing that is stored

def snapshot(store, account: Account, bin_id: str):
    """Everything an update could change: bin metadata, record, allowance, bodies, versions."""
    meta = store.bins.get(bin_id)
    versions = store.dynamodb.query(
        TableName=store.settings.bin_versions_table,
        KeyConditionExpression="binId = :b",
        ExpressionAttributeValues={":b": {"S": bin_id}},
    )["Items"]
    return meta, stored_record(store, bin_id), account.requests_remaining, body_keys(store, bin_id), versions


def test_an_exhausted_allowance_refuses_the_next_update_which_changes_nothing(invoke, store, pro):
    bin_id = pro.create_bin()
    pro.set_requests(2)
    statuses = [invoke(update_event(bin_id, b'{"a": 1}', master(pro)))[0] for _ in range(2)]
    before = snapshot(store, pro, bin_id)

    status, _, body = invoke(update_event(bin_id, b'{"a": 2}', master(pro)))

    assert statuses == [200, 200]
    assert (status, body) == (403, {"message": "Requests exhausted. Buy additional requests at the provider that issued your API key"})
    assert pro.requests_remaining == 0
    assert snapshot(store, pro, bin_id) == before  # no stray body either


def test_an_allowance_spent_by_another_bin_between_read_and_commit_refuses_and_leaves_no_body(
    invoke, store, pro, monkeypatch
):
    """The commit-time refusal: the check passed on the read, then another bin of the same account
    spent the last request before this update committed."""
    bin_id, other_bin = pro.create_bin(), pro.create_bin()
    pro.set_requests(1)
    before = snapshot(store, pro, bin_id)
    commit = store.bins.commit_update

    def another_bin_spends_the_last_request_first(current, *args, **kwargs):
        if current.bin_id == bin_id:
            assert invoke(update_event(other_bin, b'{"other": 1}', master(pro)))[0] == 200
        return commit(current, *args, **kwargs)

    monkeypatch.setattr(store.bins, "commit_update", another_bin_spends_the_last_request_first)
    status, _, body = invoke(update_event(bin_id, b'{"a": 2}', master(pro)))

    assert (status, body) == (403, {"message": "Requests exhausted. Buy additional requests at the provider that issued your API key"})
    assert pro.requests_remaining == 0  # spent by the other bin's update, not by this one
    after = snapshot(store, pro, bin_id)
    assert after[:2] + after[3:] == before[:2] + before[3:]  # the body it uploaded is deleted at once


REJECTIONS = {
    "wrong content type": (b'{"a": 1}', {"content-type": "text/plain"}, 400),
    "blank": (b"", {}, 400),
    "invalid json": (b"{", {}, 400),
    "no key": (b'{"a": 1}', {"x-master-key": None}, 401),
    "wrong key": (b'{"a": 1}', {"x-master-key": UNKNOWN_KEY}, 401),
    "versioning on free": (b'{"a": 1}', {"x-bin-versioning": "true"}, 403),
    "over 500kb on free": (sized_record(500 * KB + 1), {}, 403),
    "over 1mb": (sized_record(1024 * KB + 1), {}, 403),
    "schema mismatch": (b'{"name": 1}', {}, 400),
    "bad versioning header": (b'{"a": 1}', {"x-bin-versioning": "maybe"}, 400),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_a_rejected_update_changes_nothing(invoke, store, free, case):
    collection_id = free.create_collection(free.create_schema_doc({"type": "object",
                                                                   "properties": {"name": {"type": "string"}}}))
    bin_id = free.create_bin({"name": "kept"}, collection_id=collection_id)
    body, extra_headers, expected_status = REJECTIONS[case]
    headers = {**master(free), **extra_headers}
    headers = {name: value for name, value in headers.items() if value is not None}
    before = snapshot(store, free, bin_id)

    status, _, response = invoke(update_event(bin_id, body, headers))

    assert status == expected_status, response
    assert snapshot(store, free, bin_id) == before
