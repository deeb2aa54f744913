"""BinsFunction's role grants exactly the DynamoDB and S3 actions its code calls, on exactly those resources.

Every route is driven through the handler (with the read paths that retry, give back a charge,
replace a schema doc or delete versions), each AWS call is recorded as the IAM action and resource
it needs, and the set is compared with the template's statements both ways: a missing grant would
fail in AWS, an unused one is a privilege an attacker could use.
"""

import json
import re

import boto3
import pytest
from local.template import load_template
from tests.support.events import api_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import master

# Transactions and batches are authorised per item, by the item's own action (DynamoDB's rules).
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
_S3_ACTIONS = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "DeleteObject": "s3:DeleteObject",
               "DeleteObjects": "s3:DeleteObject", "ListObjectsV2": "s3:ListBucket"}


@pytest.fixture
def needed(store, monkeypatch):
    """(IAM action, logical id of the resource) for every call made, by table or bucket name."""
    from local.template import local_names

    by_name = {name: logical_id for logical_id, name in local_names(load_template()).items()}
    # The idempotency table is Powertools' own client: its grants are checked by name below.
    needed = set()

    def record(model, params, **_):
        operation = model.name
        if model.service_model.service_name == "s3":
            bucket = by_name[params["Bucket"]]
            if operation == "ListObjectsV2":
                resource = bucket
                # The usage logs bucket is listed under usage/ only (the grant's s3:prefix condition).
                assert bucket != "UsageLogsBucket" or params["Prefix"].startswith("usage/"), params
            else:  # a grant per top-level folder: RecordsBucket/records/*, UsageLogsBucket/usage/*
                key = params["Key"] if "Key" in params else params["Delete"]["Objects"][0]["Key"]
                resource = f"{bucket}/{key.split('/', 1)[0]}/*"
            needed.add((_S3_ACTIONS[operation], resource))
        elif operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                (kind, body), = item.items()
                needed.add((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", by_name[body["TableName"]]))
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            for table in params["RequestItems"]:
                needed.add((f"dynamodb:{operation}", by_name[table]))
        elif "IndexName" in params:
            needed.add((f"dynamodb:{operation}", f"{by_name[params['TableName']]}/index/{params['IndexName']}"))
        else:
            needed.add((f"dynamodb:{operation}", by_name[params["TableName"]]))

    for client in (store.dynamodb, store.s3):
        client.meta.events.register("provide-client-params", record)
    yield needed
    for client in (store.dynamodb, store.s3):
        client.meta.events.unregister("provide-client-params", record)


def granted() -> set[tuple[str, str]]:
    statements = load_template()["Resources"]["BinsFunction"]["Properties"]["Policies"][0]["Statement"]
    grants = set()
    for statement in statements:
        if statement["Sid"] == "IdempotencyRecords":
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            for resource in resources:
                if "Fn::GetAtt" in resource:
                    name = resource["Fn::GetAtt"][0]
                else:  # !Sub "${RecordsBucket.Arn}/records/*", !Sub "${KeysTable.Arn}/index/byAccount"
                    name = re.sub(r"\$\{(\w+)\.Arn\}", r"\1", resource["Fn::Sub"])
                grants.add((action, name))
    return grants


def test_the_function_is_granted_exactly_what_its_routes_call(invoke, store, pro, needed, monkeypatch):
    def call(event) -> dict:
        status, _, body = invoke(event)
        assert status == 200, body
        return body

    old_doc = call(api_event("POST", "/v3/s", {"type": "object"}, {**master(pro), "x-schema-doc-name": "Old"}))
    doc_id = old_doc["metadata"]["id"]
    new_doc_id = call(api_event("POST", "/v3/s", {"type": "object"}, {**master(pro), "x-schema-doc-name": "New"}))[
        "metadata"]["id"]
    collection_id = call(api_event("POST", "/v3/c", headers={**master(pro), "x-collection-name": "C"}))["record"]
    call(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add", headers={**master(pro), "x-schema-doc-id": doc_id}))
    call(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/add",
                   headers={**master(pro), "x-schema-doc-id": new_doc_id}))
    call(api_event("PUT", f"/v3/s/{new_doc_id}", {"type": "object", "title": "changed"}, master(pro)))
    call(api_event("GET", f"/v3/s/{doc_id}", headers=master(pro)))
    call(api_event("PUT", f"/v3/s/{doc_id}/meta/name", headers={**master(pro), "x-schema-doc-name": "Renamed"}))
    call(api_event("PUT", f"/v3/c/{collection_id}/meta/name", headers={**master(pro), "x-collection-name": "D"}))
    bin_id = call(api_event("POST", "/v3/b", {"a": 1}, {**master(pro), "x-collection-id": collection_id,
                                                        "x-bin-private": "false"}))["metadata"]["id"]
    call(update_event(bin_id, b'{"a": 2}', {**master(pro), "x-bin-versioning": "true"}))
    call(update_event(bin_id, b'{"a": 3}'))  # keyless, on a public bin: the owner's account is read
    call(api_event("GET", f"/v3/b/{bin_id}/0", headers=master(pro)))
    call(api_event("GET", f"/v3/b/{bin_id}/versions/count", headers=master(pro)))
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"x-json-path": "$..*", **master(pro)}))[0] == 200
    original = store.s3.get_object

    def failing_once(**_):  # a read that fails is given back its request
        monkeypatch.setattr(store.s3, "get_object", original)
        raise store.s3.exceptions.ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "GetObject")

    monkeypatch.setattr(store.s3, "get_object", failing_once)
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(pro)))[0] == 503
    call(api_event("PUT", f"/v3/b/{bin_id}/meta/name", headers={**master(pro), "x-bin-name": "n"}))
    call(api_event("PUT", f"/v3/b/{bin_id}/meta/privacy", headers={**master(pro), "x-bin-private": "true"}))
    call(api_event("DELETE", f"/v3/b/{bin_id}/versions", headers=master(pro)))
    call(update_event(bin_id, b'{"a": 4}', {**master(pro), "x-bin-versioning": "true"}))  # a row for the delete
    call(api_event("PUT", f"/v3/c/{collection_id}/schemadoc/remove", headers=master(pro)))
    call(api_event("DELETE", f"/v3/b/{bin_id}", headers=master(pro)))
    key_id = call(api_event("POST", "/v3/a", {"bins": {"read": True}}, {**master(pro), "x-key-name": "k"}))[
        "accessKeyId"]
    call(api_event("GET", "/v3/a", headers=master(pro)))
    call(api_event("DELETE", f"/v3/a/{key_id}", headers=master(pro)))
    call(api_event("GET", "/v3/c", headers=master(pro)))
    call(api_event("GET", "/v3/me", headers=master(pro)))
    listed = call(api_event("GET", f"/v3/c/{collection_id}/bins", headers=master(pro)))
    call(api_event("GET", f"/v3/c/uncategorized/bins/{pro.create_bin()}", headers=master(pro)))
    assert listed == []  # the collection's one bin was deleted above
    # Usage logs: delivered as the pipeline would, listed and served.
    from local.usage_delivery import UsagePipeline

    line = {"usage": {"account": pro.account_id, "day": "2026-11-26", "time": "2026-11-26T10:00:00.000Z",
                      "method": "GET", "route": "/v3/c", "binId": None, "status": 200}}
    UsagePipeline().deliver(boto3.client("s3"), [json.dumps(line)])
    call(api_event("GET", "/v3/l", headers=master(pro)))

    def download() -> int:
        import api_handler  # its answer is a zip, not JSON: the handler's own status

        return api_handler.lambda_handler(api_event("GET", "/v3/l/26-11-2026", headers=master(pro)),
                                          lambda_context())["statusCode"]

    assert download() == 200

    assert needed == granted()


def test_only_the_api_reads_usage_logs_and_only_the_delivery_stream_writes_them():
    """No other function's role names the usage logs bucket; the stream's role writes only there."""
    resources = load_template()["Resources"]
    for logical_id, resource in resources.items():
        mentions = "UsageLogsBucket" in json.dumps(resource.get("Properties", {}).get("Policies", []))
        assert not mentions or logical_id in ("BinsFunction", "UsageDeliveryRole"), logical_id
    statements = resources["BinsFunction"]["Properties"]["Policies"][0]["Statement"]
    usage_grants = {(s["Sid"], tuple(s["Action"])) for s in statements if "UsageLogs" in json.dumps(s["Resource"])}
    assert usage_grants == {("ListUsageLogs", ("s3:ListBucket",)), ("ReadUsageLogs", ("s3:GetObject",))}
    (delivery,) = resources["UsageDeliveryRole"]["Properties"]["Policies"]
    written = [s for s in delivery["PolicyDocument"]["Statement"] if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in written] == [[{"Fn::Sub": "${UsageLogsBucket.Arn}/usage/*"},
                                                  {"Fn::Sub": "${UsageLogsBucket.Arn}/delivery-errors/*"}]]


def test_the_idempotency_table_grants_what_powertools_uses():
    statements = load_template()["Resources"]["BinsFunction"]["Properties"]["Policies"][0]["Statement"]
    (idempotency,) = [s for s in statements if s["Sid"] == "IdempotencyRecords"]
    assert sorted(idempotency["Action"]) == ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                                             "dynamodb:UpdateItem"]
    assert idempotency["Resource"] == {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}
