"""The local emulation answers a repeated transaction token as DynamoDB documents, since storage's
resends of an unanswered commit rely on it (local/emulation.py)."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local.emulation import atomic_in_process_calls


@pytest.fixture
def dynamodb():
    with mock_aws(), atomic_in_process_calls():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"id": {"S": "a"}, "n": {"N": "0"}})
        yield client


def add_one(token: str, amount: str = "1") -> dict:
    return {
        "TransactItems": [
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"id": {"S": "a"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": amount}},
                }
            }
        ],
        "ClientRequestToken": token,
    }


def n(dynamodb) -> int:
    return int(dynamodb.get_item(TableName="t", Key={"id": {"S": "a"}})["Item"]["n"]["N"])


def test_a_transaction_sent_again_with_its_token_succeeds_and_changes_nothing(dynamodb):
    dynamodb.transact_write_items(**add_one("token-1"))
    dynamodb.transact_write_items(**add_one("token-1"))
    assert n(dynamodb) == 1
    dynamodb.transact_write_items(**add_one("token-2"))
    assert n(dynamodb) == 2


def test_another_transaction_under_a_used_token_is_refused(dynamodb):
    dynamodb.transact_write_items(**add_one("token-1"))
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(**add_one("token-1", amount="5"))
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert n(dynamodb) == 1


def test_a_cancelled_transaction_leaves_its_token_free(dynamodb):
    cancelled = add_one("token-1")
    cancelled["TransactItems"][0]["Update"]["ConditionExpression"] = "n > :one"
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(**cancelled)
    dynamodb.transact_write_items(**add_one("token-1"))
    assert n(dynamodb) == 1
