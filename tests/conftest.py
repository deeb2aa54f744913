"""Shared fixtures: AWS emulated in-process by moto, with tables and bucket built from template.yaml."""

import json
import os

import boto3
import pytest
from moto import mock_aws

# Tests talk to moto in-process: no endpoint override, fake credentials, one region.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update({
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "binstore",
    "POWERTOOLS_METRICS_NAMESPACE": "BinStore",
})

from binstore import bins, collections, provisioning, schema_docs  # noqa: E402
from binstore.access import Credentials  # noqa: E402
from binctl.resources import local_settings  # noqa: E402
from binstore.storage import Store  # noqa: E402
from local.aws import create_resources  # noqa: E402
from local.emulation import atomic_in_process_calls  # noqa: E402
from tests.support import EVENTS_DIR, ROOT  # noqa: E402,F401
from tests.support.events import api_event, update_event  # noqa: E402,F401  (tests import them from here)
from tests.support.lambda_context import lambda_context  # noqa: E402
from binstore.settings import RESOURCE_VARIABLES  # noqa: E402

# The functions' resource names, as the local stack names them: the handlers' modules refuse to
# import without them, as in Lambda.
os.environ.update({variable: getattr(local_settings(), variable.lower()) for variable in RESOURCE_VARIABLES})



@pytest.fixture
def store():
    """A Store on fresh, empty tables and bucket, made as template.yaml declares them."""
    with mock_aws(), atomic_in_process_calls():
        create_resources(boto3.client("dynamodb"), boto3.client("s3"))
        yield Store(local_settings())


class Account:
    def __init__(self, store: Store, plan: str, requests: int | None = None):
        created = provisioning.create_account(store, plan, requests)
        self.store = store
        self.account_id = created.account.account_id
        self.master_key = created.master_key

    @property
    def credentials(self) -> Credentials:
        return Credentials(master_key=self.master_key)

    def create_bin(self, record=None, private: bool = True, collection_id: str | None = None,
                   name: str | None = None) -> str:
        body = json.dumps({"sample": "Hello World"} if record is None else record).encode()
        return bins.create_bin(self.store, self.credentials, body, private, name, collection_id).bin.bin_id

    def create_schema_doc(self, schema, name: str = "Schema") -> str:
        body = json.dumps(schema).encode()
        return schema_docs.create_schema_doc(self.store, self.credentials, name, body).schema_doc_id

    def create_collection(self, schema_doc_id: str | None = None, name: str = "Collection") -> str:
        collection_id = collections.create_collection(self.store, self.credentials, name).collection_id
        if schema_doc_id is not None:
            collections.attach_schema_doc(self.store, self.credentials, collection_id, schema_doc_id)
        return collection_id

    def create_access_key(self, *permissions: str) -> str:
        return provisioning.create_access_key(self.store, self.master_key, permissions).access_key

    @property
    def requests_remaining(self) -> int:
        return self.store.accounts.get(self.account_id).requests_remaining

    def set_requests(self, remaining: int) -> None:
        """Set the allowance directly, as after the setup a test needed (which spent requests)."""
        self.store.dynamodb.update_item(
            TableName=self.store.settings.accounts_table, Key={"accountId": {"S": self.account_id}},
            UpdateExpression="SET requestsRemaining = :n", ExpressionAttributeValues={":n": {"N": str(remaining)}})


def stored_record(store: Store, bin_id: str, version: int | None = None):
    """A bin's latest record (or kept version), as the operator reads it: no key, no charge."""
    return json.loads(provisioning.operator_read(store, bin_id, version).json_text)


@pytest.fixture
def pro(store) -> Account:
    return Account(store, "pro")


@pytest.fixture
def free(store) -> Account:
    return Account(store, "free")


def body_keys(store: Store, bin_id: str) -> list[str]:
    """The S3 keys of every record body stored for a bin."""
    listing = store.s3.list_objects_v2(Bucket=store.settings.records_bucket, Prefix=f"records/{bin_id}/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


FakeContext = lambda_context


@pytest.fixture
def invoke(store, monkeypatch):
    """Call the Lambda handler, against the test's moto store, as API Gateway would."""
    import api_handler as app

    monkeypatch.setattr(app, "store", store)

    def call(event: dict) -> tuple[int, dict, dict]:
        response = app.lambda_handler(event, FakeContext())
        return response["statusCode"], response["headers"], json.loads(response["body"])

    return call


@pytest.fixture
def aws_calls(store):
    """Every AWS call the code under test makes, as "service:Operation", counted by botocore's events."""
    calls = []

    def record(model, **_):
        calls.append(f"{model.service_model.service_name}:{model.name}")

    for client in (store.dynamodb, store.s3):
        client.meta.events.register("before-call", record)
    yield calls
    for client in (store.dynamodb, store.s3):
        client.meta.events.unregister("before-call", record)


@pytest.fixture
def debug_logs(capsys, caplog):
    """Everything logged, with our loggers and Powertools' at DEBUG (the most an operator can turn
    on) and formatted as Lambda writes it: Powertools' JSON, every extra field included. Call it
    for the text so far."""
    import logging

    ours = [logging.getLogger(name) for name in logging.root.manager.loggerDict
            if name == "binstore" or name.startswith("binstore.")]
    levels = {logger: logger.level for logger in ours}
    for logger in ours:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="binstore")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    caplog.handler.setFormatter(logging.getLogger("binstore").handlers[0].formatter)
    seen = []

    def text() -> str:
        captured = capsys.readouterr()
        seen.append(captured.out + captured.err)
        return "".join(seen) + caplog.text

    yield text
    for logger, level in levels.items():
        logger.setLevel(level)
