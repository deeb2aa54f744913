"""Shared fixtures: AWS emulated in-process by moto, with tables and bucket built from template.yaml.

Helpers that tests import (event builders, accounts, what is stored) live in tests/support; this file
holds fixtures only."""

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

from binctl.resources import local_settings  # noqa: E402
from binstore.settings import RESOURCE_VARIABLES  # noqa: E402
from binstore.storage import Store  # noqa: E402
from local.aws import create_resources  # noqa: E402
from local.emulation import atomic_in_process_calls  # noqa: E402
from local.stack import StackDidNotStart, running_stack  # noqa: E402
from tests.browser.provision import SKIP_REASON  # noqa: E402
from tests.support.lambda_context import lambda_context  # noqa: E402
from tests.support.store import Account  # noqa: E402

# The functions' resource names, as the local stack names them: the handlers' modules refuse to
# import without them, as in Lambda.
os.environ.update({variable: getattr(local_settings(), variable.lower()) for variable in RESOURCE_VARIABLES})


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """`make run`'s stack on free ports, stopped after the tests: one per pytest-xdist worker, shared by
    the HTTP tests (tests/http) and the browser tests (tests/browser)."""
    try:
        with running_stack(tmp_path_factory.mktemp("local-stack") / "run.log") as stack:
            yield stack
    except StackDidNotStart as error:
        pytest.fail(str(error))


def pytest_terminal_summary(terminalreporter):
    """Browser tests skipped for want of Chromium (never under CI=true: tests/browser/conftest.py fails
    them there) are said loudly at the very end, not only in -ra's list of skips."""
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if SKIP_REASON in str(report.longrepr)]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TESTS SKIPPED: no headless Chromium here", red=True)
        terminalreporter.write_line("  " + skipped[0].longrepr[2].removeprefix("Skipped: "), red=True)


@pytest.fixture
def store():
    """A Store on fresh, empty tables and bucket, made as template.yaml declares them."""
    with mock_aws(), atomic_in_process_calls():
        create_resources(boto3.client("dynamodb"), boto3.client("s3"))
        yield Store(local_settings())


@pytest.fixture
def pro(store) -> Account:
    return Account(store, "pro")


@pytest.fixture
def free(store) -> Account:
    return Account(store, "free")


@pytest.fixture
def invoke(store, monkeypatch):
    """Call the Lambda handler, against the test's moto store, as API Gateway would."""
    import api_handler as app

    monkeypatch.setattr(app, "store", store)

    def call(event: dict) -> tuple[int, dict, dict]:
        response = app.lambda_handler(event, lambda_context())
        if response["headers"].get("Content-Type") != "application/json":  # a usage log's zip, a redirect
            return response["statusCode"], response["headers"], response["body"]
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
