"""What an update costs in AWS calls, counted by botocore's own event system.

The update path makes its calls one after another, so the calls are also its sequential round trips.
"""

import pytest
from tests.conftest import update_event


@pytest.fixture
def aws_calls(store):
    calls = []

    def record(model, **_):
        calls.append(f"{model.service_model.service_name}:{model.name}")

    for client in (store.dynamodb, store.s3):
        client.meta.events.register("before-call", record)
    yield calls
    for client in (store.dynamodb, store.s3):
        client.meta.events.unregister("before-call", record)


@pytest.mark.parametrize("versioning", ["false", "true"])
def test_warm_update_with_a_key_takes_three_round_trips(invoke, pro, aws_calls, versioning):
    bin_id = pro.create_bin()
    aws_calls.clear()
    status, _, _ = invoke(update_event(bin_id, b'{"a": 1}', {"x-master-key": pro.master_key,
                                                              "x-bin-versioning": versioning}))
    assert status == 200
    assert aws_calls == ["dynamodb:BatchGetItem", "s3:PutObject", "dynamodb:TransactWriteItems"]


@pytest.mark.parametrize("body, headers", [
    (b'{"a": 1}', {"content-type": "text/plain"}),
    (b"", {}),
    (b"{", {}),
    (b"x" * (1024 * 1024 + 1), {}),
])
def test_requests_refusable_from_the_request_alone_make_no_aws_call(invoke, pro, aws_calls, body, headers):
    bin_id = pro.create_bin()
    aws_calls.clear()
    status, _, _ = invoke(update_event(bin_id, body, {"x-master-key": pro.master_key, **headers}))
    assert status in (400, 403)
    assert aws_calls == []


def test_invalid_bin_id_makes_no_aws_call(invoke, aws_calls):
    assert invoke(update_event("nope", b'{"a": 1}'))[0] == 400
    assert aws_calls == []
