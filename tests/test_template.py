"""template.yaml: valid, buildable, least-privilege, private and encrypted storage."""

import copy
import functools
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from local.template import condition_holds, load_template, local_functions, local_names, resources_of_type
from tests.support import EVENTS_DIR, ROOT
from tests.support.routes import CONSOLE_FUNCTION, api_routes, http_routes

SAM = ROOT / ".venv-sam" / "bin" / "sam"
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def run_sam(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    # sam build finds the python3.13 runtime on PATH: the interpreter running the tests is one.
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{Path(os.path.realpath(sys.executable)).parent}"
                   f"{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=540)


def test_sam_validate_lint_passes():
    result = run_sam("validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_build_produces_the_function_and_its_layer_without_a_container(tmp_path):
    build_dir = tmp_path / "build"
    result = subprocess.run(["make", "build", f"BUILD_DIR={build_dir}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=540, env={**os.environ, "SAM_CLI_TELEMETRY": "0"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (build_dir / "BinsFunction" / "api_handler.py").exists()
    assert (build_dir / "BodyCleanupFunction" / "cleanup_handler.py").exists()
    assert (build_dir / "SweeperFunction" / "sweeper_handler.py").exists()
    # The console's function ships its site/ beside its handler, and no layer (it imports no binstore).
    console = build_dir / "ConsoleFunction"
    assert (console / "console_handler.py").exists() and (console / "site" / "index.html").exists()
    assert (console / "site" / "vendor" / "ace-1.45.2" / "ace.js").exists()
    layer = build_dir / "SharedLayer" / "python"
    for package in ("binstore/updates.py", "aws_lambda_powertools", "jsonschema"):
        assert (layer / package).exists(), package
    # Native code was built for the function's architecture (arm64), not the build machine's.
    assert list(layer.glob("rpds/*aarch64*.so"))
    # Bytecode is compiled ahead: Lambda's read-only code could not cache it, cold start after cold start.
    tag = sys.implementation.cache_tag
    for module in (build_dir / "BinsFunction" / "api_handler.py", layer / "binstore" / "updates.py",
                   layer / "aws_lambda_powertools" / "logging" / "logger.py"):
        assert (module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc").exists(), module


def test_function_runs_python313_on_arm64_behind_the_http_api():
    function = RESOURCES["BinsFunction"]["Properties"]
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    routes = {(event["Properties"]["Method"], event["Properties"]["Path"], event["Type"])
              for event in function["Events"].values()}
    assert ("PUT", "/v3/b/{binId}", "HttpApi") in routes
    assert RESOURCES["HttpApi"]["Type"] == "AWS::Serverless::HttpApi"


@functools.cache
def transformed(*parameters: str) -> dict:
    """The template after the SAM transform: the roles and permissions SAM generates, spelled out.
    Parameters are "Name=Value" overrides, as a deploy gives them; the rest keep their defaults."""
    result = subprocess.run([str(ROOT / ".venv-sam" / "bin" / "python"), "-m", "tests.support.transform", "template.yaml",
                             *parameters],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def with_conditions(value, true: set[str]):
    """`value` as CloudFormation deploys it when the conditions named in `true` hold and no other does:
    each Fn::If picks its branch, and AWS::NoValue drops what holds it."""
    if isinstance(value, list):
        return [item for item in (with_conditions(item, true) for item in value) if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, if_true, if_false = value["Fn::If"]
        return with_conditions(if_true if condition in true else if_false, true)
    if value == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    return {key: item for key, item in ((key, with_conditions(item, true)) for key, item in value.items())
            if item is not _NO_VALUE}


_NO_VALUE = object()


def roles(*parameters: str, true: frozenset[str] = frozenset()) -> dict[str, dict]:
    return {logical_id: with_conditions(resource["Properties"], set(true))
            for logical_id, resource in transformed(*parameters)["Resources"].items()
            if resource["Type"] == "AWS::IAM::Role"}


def test_every_function_has_a_role_of_its_own():
    functions = [resource for resource in transformed()["Resources"].values()
                 if resource["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == len(resources_of_type(TEMPLATE, "AWS::Serverless::Function")) == 4
    assert len({json.dumps(function["Properties"]["Role"]) for function in functions}) == 4


def test_roles_name_only_this_stacks_resources_and_actions():
    """Least privilege, as deployed: every statement names actions and this stack's own resources."""
    for logical_id, role in roles().items():
        # Only the logging policy, never one that reaches other tables or streams.
        assert set(role.get("ManagedPolicyArns", [])) <= {
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}, logical_id
        statements = [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
        assert statements, logical_id
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in actions), statement
            for resource in resources:
                assert resource != "*", statement
                assert isinstance(resource, dict), f"{resource} is not a reference to a resource of this stack"


def test_the_console_function_may_write_its_logs_and_nothing_else():
    """It serves files from memory: no table, bucket, stream, queue or key of the stack is named in its
    role, which grants only writing its own log group (not even the managed logging policy's logs:*)."""
    resources = transformed()["Resources"]
    function = resources[CONSOLE_FUNCTION]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["ConsoleRole", "Arn"]}
    assert "Layers" not in function
    declared = RESOURCES[CONSOLE_FUNCTION]["Properties"]
    assert not {"Policies", "Layers", "VpcConfig"} & set(declared)
    # Its one variable of its own: the edge's origin token (test_the_edge_... below), no resource name.
    assert set(declared["Environment"]["Variables"]) == {"ORIGIN_VERIFY_TOKEN"}
    role = roles()["ConsoleRole"]
    assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
    statements = [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    assert statements == [{"Sid": "WriteItsLogs", "Effect": "Allow",
                           "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                           "Resource": {"Fn::GetAtt": ["ConsoleLogGroup", "Arn"]}}]
    data = [logical_id for logical_id, resource in RESOURCES.items()
            if resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue",
                                    "AWS::KinesisFirehose::DeliveryStream", "AWS::Serverless::LayerVersion")]
    assert data and not [logical_id for logical_id in data if logical_id in json.dumps(role)]
    # No other role is the console's: nothing but the console function assumes ConsoleRole.
    assert [logical_id for logical_id, resource in resources.items()
            if "ConsoleRole" in json.dumps(resource.get("Properties", {}))] == [CONSOLE_FUNCTION]


XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"


def _arns(role: dict) -> set[str]:
    """The role's managed policies, in the aws partition."""
    return {arn["Fn::Sub"].replace("${AWS::Partition}", "aws") if isinstance(arn, dict) else arn
            for arn in role.get("ManagedPolicyArns", [])}


def _tracing(parameters: tuple[str, ...], true: frozenset[str]) -> dict[str, tuple]:
    """Each function's tracing as deployed: its mode, Powertools' switch, and whether its role may send traces."""
    resources, granted = transformed(*parameters)["Resources"], roles(*parameters, true=true)
    found = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            function = with_conditions(resource["Properties"], set(true))
            mode = function.get("TracingConfig", {}).get("Mode")
            if mode == {"Ref": "Tracing"}:
                mode = dict(parameter.split("=", 1) for parameter in parameters).get(
                    "Tracing", TEMPLATE["Parameters"]["Tracing"]["Default"])
            role = granted[function["Role"]["Fn::GetAtt"][0]]
            found[logical_id] = (mode, function["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"],
                                 XRAY_WRITE in _arns(role))
    return found


def test_tracing_is_off_by_default_and_the_tracing_parameter_turns_it_on_for_every_function():
    assert TEMPLATE["Parameters"]["Tracing"]["Default"] == "Disabled"
    off = _tracing((), frozenset())
    assert len(off) == 4 and set(off.values()) == {(None, "true", False)}
    on = _tracing(("Tracing=Active",), frozenset({"TracingOn"}))
    assert set(on) == set(off) and set(on.values()) == {("Active", "false", True)}
    # Sending traces is all that is added: no other managed policy on any role.
    for logical_id, role in roles("Tracing=Active", true=frozenset({"TracingOn"})).items():
        assert _arns(role) <= {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", XRAY_WRITE}, \
            logical_id


def test_stream_reader_reads_only_the_bins_tables_stream():
    statements = roles()["BodyCleanupRole"]["Policies"][0]["PolicyDocument"]["Statement"]
    (stream,) = [statement for statement in statements if "dynamodb:GetRecords" in statement["Action"]]
    assert stream["Resource"] == {"Fn::Sub": "${BinsTable.Arn}/stream/*"}


def test_functions_can_be_invoked_only_by_this_stacks_api_and_schedule():
    """No confused deputy: every invoke permission names the API or rule it is for."""
    permissions = [resource["Properties"] for resource in transformed()["Resources"].values()
                   if resource["Type"] == "AWS::Lambda::Permission"]
    assert permissions
    for permission in permissions:
        assert permission["Principal"] in ("apigateway.amazonaws.com", "events.amazonaws.com")
        assert "SourceArn" in permission


def test_tables_are_on_demand_encrypted_and_data_tables_kept():
    tables = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
    assert set(tables) == {"AccountsTable", "KeysTable", "BinsTable", "BinVersionsTable", "CollectionsTable",
                           "SchemaDocsTable", "IdempotencyTable"}
    for logical_id, table in tables.items():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
        if logical_id != "IdempotencyTable":
            assert table["DeletionPolicy"] == "Retain"


def test_idempotency_records_expire_through_the_tables_ttl():
    idempotency = RESOURCES["IdempotencyTable"]["Properties"]
    # Powertools' DynamoDB persistence layer: partition key "id", expiry in "expiration".
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_only_the_idempotency_table_has_a_ttl_so_none_can_delete_a_key_or_an_account():
    """A rotated master key's expiry (expiresAt) is the domain's to judge: DynamoDB's TTL, which
    deletes at some time after the instant it reads, must never delete a key, early or late (the
    expiry is stored as text besides, which TTL ignores: tests/unit/test_items.py)."""
    tables = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
    assert {name for name, table in tables.items() if "TimeToLiveSpecification" in table["Properties"]} == {
        "IdempotencyTable"}


def test_where_to_buy_requests_defaults_alike_deployed_and_local():
    """The deployed stack's default (the parameter's) is the one make run and binctl fall back to."""
    from binstore.settings import DEFAULT_BUY_REQUESTS_AT

    assert TEMPLATE["Parameters"]["BuyRequestsAt"]["Default"] == DEFAULT_BUY_REQUESTS_AT
    assert RESOURCES["BinsFunction"]["Properties"]["Environment"]["Variables"]["BUY_REQUESTS_AT"] == {
        "Ref": "BuyRequestsAt"}


def test_browsers_may_send_and_read_the_extension_headers():
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    assert {"if-match", "idempotency-key"} <= set(cors["AllowHeaders"])
    assert {"etag", "idempotent-replayed"} <= set(cors["ExposeHeaders"])


def test_bucket_is_private_encrypted_and_tls_only():
    bucket = RESOURCES["RecordsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    statements = RESOURCES["RecordsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
               for s in statements)


def test_the_api_throttles_floods_before_they_reach_the_function():
    settings = RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]
    parameters = TEMPLATE["Parameters"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert 0 < parameters["ThrottlingRateLimit"]["Default"] <= parameters["ThrottlingBurstLimit"]["Default"]


def test_orphan_bodies_are_swept_daily_and_expired_by_the_buckets_lifecycle():
    from binstore.storage.bodies import ORPHAN_TAG

    rules = RESOURCES["RecordsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expiry,) = [rule for rule in rules if "TagFilters" in rule]
    assert expiry["Status"] == "Enabled" and expiry["ExpirationInDays"] == 1
    assert expiry["TagFilters"] == [{"Key": ORPHAN_TAG, "Value": "true"}]
    (schedule,) = RESOURCES["SweeperFunction"]["Properties"]["Events"].values()
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"] == "rate(1 day)"



def _covers(rule: dict, objects: dict) -> bool:
    """Whether a lifecycle `rule` acts on every object `objects` (a rule, or {"Prefix": ...}) acts on."""
    return (objects.get("Prefix", "").startswith(rule.get("Prefix", ""))
            and all(tag in objects.get("TagFilters", []) for tag in rule.get("TagFilters", [])))


def _noncurrent_expiry_days(rule: dict) -> int | dict | None:
    return rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))


def test_the_records_bucket_keeps_deleted_bodies_as_versions_for_the_retention_parameter():
    from binstore.storage.bodies import PREFIX

    bucket = RESOURCES["RecordsBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    retention = TEMPLATE["Parameters"]["NoncurrentBodyRetentionDays"]
    assert retention["Type"] == "Number" and retention["Default"] == 7 and retention["MinValue"] == 1
    rules = [rule for rule in bucket["LifecycleConfiguration"]["Rules"] if rule["Status"] == "Enabled"]
    noncurrent = [rule for rule in rules if _noncurrent_expiry_days(rule) is not None]
    assert noncurrent and all(_noncurrent_expiry_days(rule) == {"Ref": "NoncurrentBodyRetentionDays"}
                              for rule in noncurrent)
    # Bodies the code deletes (cleanup, bin and account deletion), and every rule's expirations of
    # current bodies (each only adds a delete marker), become noncurrent: each is deleted for good.
    expiring = [rule for rule in rules if "ExpirationInDays" in rule or "ExpirationDate" in rule]
    assert any("TagFilters" in rule for rule in expiring)  # the orphan rule is one of them
    for objects in [{"Prefix": PREFIX}, *expiring]:
        assert any(_covers(rule, objects) for rule in noncurrent), f"noncurrent versions of {objects} never expire"
    # A delete marker left alone (its versions expired) is removed.
    assert any(rule.get("ExpiredObjectDeleteMarker") is True and _covers(rule, {"Prefix": PREFIX}) for rule in rules)


def test_outputs_name_the_api_url_tables_and_bucket():
    outputs = TEMPLATE["Outputs"]
    assert "ApiUrl" in outputs and "RecordsBucketName" in outputs
    for logical_id in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table"):
        assert f"{logical_id}Name" in outputs


def test_every_table_and_bucket_has_a_local_name_and_every_variable_resolves():
    names = local_names(TEMPLATE)
    for resource_type in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"):
        for logical_id in resources_of_type(TEMPLATE, resource_type):
            assert logical_id in names, f"{logical_id} is not passed to the function"
    functions = {function.logical_id: function for function in local_functions(TEMPLATE)}
    assert functions["BinsFunction"].environment["ACCOUNTS_TABLE"] == "AccountsTable"
    assert functions["BinsFunction"].handler == "api_handler.lambda_handler"
    assert functions["BodyCleanupFunction"].environment["RECORDS_BUCKET"] == "recordsbucket"


def test_replaced_bodies_are_cleaned_up_from_the_bins_tables_stream():
    stream = RESOURCES["BinsTable"]["Properties"]["StreamSpecification"]
    assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    (event,) = RESOURCES["BodyCleanupFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["BinsTable", "StreamArn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


HTTP_ROUTES = http_routes(TEMPLATE)  # (method, path) -> the function serving it
HTTP_EVENT_FILES = sorted(path for path in EVENTS_DIR.glob("*.json")
                          if not path.name.startswith(("cleanup-", "sweeper-")))


def _route(event_file: Path) -> tuple[str, str]:
    method, path = json.loads(event_file.read_text())["routeKey"].split(" ", 1)
    return method, path


API_EVENT_FILES = [path for path in HTTP_EVENT_FILES if HTTP_ROUTES.get(_route(path)) != CONSOLE_FUNCTION]
CONSOLE_EVENT_FILES = [path for path in HTTP_EVENT_FILES if HTTP_ROUTES.get(_route(path)) == CONSOLE_FUNCTION]


def _path_pattern(route_path: str) -> re.Pattern:
    """A route's path as API Gateway matches it: {name} one segment, {name+} (greedy) one or more."""
    greedy = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", route_path)  # the template's paths: letters, digits, / {} +
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", greedy) + "$")


@pytest.mark.parametrize("event_file", HTTP_EVENT_FILES, ids=lambda p: p.name)
def test_sample_events_are_http_api_events_for_a_route_of_the_template(event_file):
    event = json.loads(event_file.read_text())
    assert event["version"] == "2.0"
    method, path = _route(event_file)
    assert (method, path) in HTTP_ROUTES
    assert event["requestContext"]["http"]["method"] == method
    assert event["requestContext"]["routeKey"] == event["routeKey"]
    # The path is one the route matches, and its parameters are what API Gateway would take from it.
    assert event["requestContext"]["http"]["path"] == event["rawPath"]
    matched = _path_pattern(path).match(event["rawPath"])
    assert matched, (event["rawPath"], path)
    assert event.get("pathParameters") == (matched.groupdict() or None)


def test_every_route_has_a_sample_event():
    assert {_route(path) for path in HTTP_EVENT_FILES} == set(HTTP_ROUTES)
    assert {_route(path) for path in CONSOLE_EVENT_FILES} == {("GET", "/console"), ("GET", "/console/{asset+}")}


@pytest.mark.parametrize("event_file", API_EVENT_FILES, ids=lambda p: p.name)
def test_each_sample_event_gets_a_json_answer_from_the_handler(invoke, event_file):
    # Their keys are placeholders: the handler refuses them, in JSONBin's envelope, without a 5xx.
    status, headers, body = invoke(json.loads(event_file.read_text()))
    assert 400 <= status < 500 and set(body) == {"message"}
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("event_file", CONSOLE_EVENT_FILES, ids=lambda p: p.name)
def test_each_console_sample_event_gets_its_file_from_the_console_handler(event_file):
    import console_handler

    event = json.loads(event_file.read_text())
    response = console_handler.lambda_handler(event, None)
    published = console_handler.FILES[event["rawPath"]]  # the sample names a file the console publishes
    assert response["statusCode"] == 200, event["rawPath"]
    assert response["headers"]["Content-Type"] == published.content_type
    assert response["headers"].items() >= console_handler.SECURITY_HEADERS.items()


def test_every_function_logs_to_a_group_kept_for_the_retention_parameter():
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    for logical_id, function in functions.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup", logical_id
        assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id


def test_a_stream_change_that_keeps_failing_goes_to_a_dead_letter_queue_the_role_may_send_to():
    (event,) = RESOURCES["BodyCleanupFunction"]["Properties"]["Events"].values()
    destination = event["Properties"]["DestinationConfig"]["OnFailure"]
    assert destination == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["BodyCleanupFailures", "Arn"]}}
    assert event["Properties"]["MaximumRetryAttempts"] > 0
    queue = RESOURCES["BodyCleanupFailures"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    statements = RESOURCES["BodyCleanupRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"Sid": "SendFailedChanges", "Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": {"Fn::GetAtt": ["BodyCleanupFailures", "Arn"]}} in statements


def test_reserved_concurrency_is_a_parameter_left_unset_by_default():
    parameter = TEMPLATE["Parameters"]["ReservedConcurrency"]
    assert parameter["Default"] == ""
    # Empty or a positive number: 0 would throttle every request.
    assert [bool(re.fullmatch(parameter["AllowedPattern"], value)) for value in ("", "50", "0", "-1", "05")] == [
        True, True, False, False, False]
    assert TEMPLATE["Conditions"]["HasReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, ""]}]}
    assert RESOURCES["BinsFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}
    # After the transform, with the default, the function carries no reservation at all.
    (function,) = [resource for logical_id, resource in transformed()["Resources"].items()
                   if logical_id == "BinsFunction"]
    assert function["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def test_every_resource_variable_names_the_resource_its_name_says():
    """One list of resources (binstore.settings) and one naming rule (binctl.resources) for all."""
    from binctl.resources import logical_id
    from binstore.settings import RESOURCE_VARIABLES

    seen = set()
    for function in resources_of_type(TEMPLATE, "AWS::Serverless::Function").values():
        for variable, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            if variable in RESOURCE_VARIABLES:
                assert value == {"Ref": logical_id(variable)}, variable
                seen.add(variable)
    assert seen == set(RESOURCE_VARIABLES)


# What `sam deploy --guided` asks of a route without authentication (once per route; its default,
# N, aborts with "Security Constraints Not Satisfied!"): SAM CLI's own check, run on the template.
_UNSETTLED_ROUTES = """
from samcli.commands.deploy.auth_utils import auth_per_resource
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
stacks, _ = SamLocalStackProvider.get_stacks("template.yaml")
print(sum(1 for _, settled in auth_per_resource(stacks) if not settled), len(auth_per_resource(stacks)))
"""


def test_sam_deploy_guided_asks_nothing_of_the_routes_and_the_gateway_has_no_authorizer():
    result = subprocess.run([str(ROOT / ".venv-sam" / "bin" / "python"), "-c", _UNSETTLED_ROUTES],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    unsettled, routes = map(int, result.stdout.split())
    assert (unsettled, routes) == (0, len(http_routes()))
    # The keys are checked by the function: the gateway lets every route through to it.
    gateway = [resource for resource in transformed()["Resources"].values()
               if resource["Type"].startswith("AWS::ApiGatewayV2::")]
    assert not [resource for resource in gateway if resource["Type"] == "AWS::ApiGatewayV2::Authorizer"]
    assert "security" not in json.dumps(gateway)


@pytest.fixture
def sam_venv(tmp_path):
    """A stand-in for .venv-sam whose `sam` prints the command it was given."""
    venv = tmp_path / "venv-sam"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    fake_sam = venv / "bin" / "sam"
    fake_sam.write_text('#!/bin/sh\necho "sam $*"\n')
    fake_sam.chmod(0o755)
    return venv


@pytest.mark.parametrize(("saved", "command"), [
    ("", "deploy --guided --config-file"),  # a fresh clone: the region and parameters are asked
    ('region = "eu-west-1"\n', "deploy --config-file"),  # then: what the first deploy saved
])
def test_make_deploy_is_guided_until_a_region_is_saved(tmp_path, sam_venv, saved, command):
    config = tmp_path / "samconfig.toml"
    config.write_text((ROOT / "samconfig.toml").read_text().replace(
        "[default.deploy.parameters]\n", "[default.deploy.parameters]\n" + saved))
    result = subprocess.run(["make", "--no-print-directory", "-o", "build", "deploy", f"VENV_SAM={sam_venv}",
                             f"SAMCONFIG={config}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sam {command} {config}"


def test_make_destroy_deletes_the_stack_samconfig_names(sam_venv):
    result = subprocess.run(["make", "--no-print-directory", "destroy", f"VENV_SAM={sam_venv}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "sam delete --config-file samconfig.toml"
    assert "noncurrent versions" in result.stdout and "list-object-versions" in result.stdout  # what stays, how to go


# The $context variables of an HTTP API's access log format that may carry a secret (a key travels
# in a header) or text the client chooses, which API Gateway pastes in unescaped (a quote in a user
# agent could forge a field of the JSON line): none may be logged.
_SECRET_OR_CHOSEN = re.compile(
    r"\$context\.(?:request\.|requestOverride|authorizer|path|identity\.(?!sourceIp\b)\w+)|\$input|\$request\.")


def test_every_request_leaves_an_access_log_line_of_json_with_no_key_in_it():
    (stage,) = [resource["Properties"] for resource in transformed()["Resources"].values()
                if resource["Type"] == "AWS::ApiGatewayV2::Stage"]
    settings = stage["AccessLogSettings"]
    log_group = settings["DestinationArn"]["Fn::GetAtt"][0]
    assert RESOURCES[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert RESOURCES[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    line_format = settings["Format"]
    line = json.loads(re.sub(r"\$context\.[\w.]+", "value", line_format))  # one JSON object a request
    assert {"requestId", "route", "status", "latencyMs", "integrationError"} <= set(line)
    variables = dict(re.findall(r'"(\w+)":"(\$context\.[\w.]+)"', line_format))
    assert len(variables) == len(line)  # every value is one variable, inside quotes
    assert variables["route"] == "$context.routeKey" and variables["status"] == "$context.status"
    assert variables["latencyMs"] == "$context.responseLatency"
    assert variables["integrationError"] == "$context.integrationErrorMessage"
    assert not _SECRET_OR_CHOSEN.search(line_format)
    assert _SECRET_OR_CHOSEN.search('"ua":"$context.identity.userAgent"')  # the guard itself bites
    assert _SECRET_OR_CHOSEN.search('"k":"$context.request.header.x-master-key"')



def test_the_local_buckets_are_versioned_and_expire_objects_as_the_template_says(store):
    """local.aws makes each bucket with the template's versioning and lifecycle rules (moto keeps the
    rules without running them): the tests and make run delete bodies as AWS would."""
    names = local_names(TEMPLATE)
    for logical_id, bucket in resources_of_type(TEMPLATE, "AWS::S3::Bucket").items():
        declared = bucket["Properties"]
        versioning = store.s3.get_bucket_versioning(Bucket=names[logical_id])
        assert versioning.get("Status") == declared.get("VersioningConfiguration", {}).get("Status")
        rules = store.s3.get_bucket_lifecycle_configuration(Bucket=names[logical_id])["Rules"]
        assert [rule["ID"] for rule in rules] == [rule["Id"] for rule in declared["LifecycleConfiguration"]["Rules"]]
        for rule, made in zip(declared["LifecycleConfiguration"]["Rules"], rules, strict=True):
            if "ExpirationInDays" in rule:
                days = rule["ExpirationInDays"]
                if isinstance(days, dict):  # a !Ref: the parameter's default, as make run deploys it
                    days = TEMPLATE["Parameters"][days["Ref"]]["Default"]
                assert made["Expiration"]["Days"] == days
            if "TagFilters" in rule:
                assert made["Filter"] == {"Tag": rule["TagFilters"][0]}


# --- Alarms (docs/operations.md): read from the template, never from a copied list

ALARMS = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")


def alarm_metrics(alarm: dict) -> list[dict]:
    """Each metric an alarm reads: {Namespace, MetricName, Dimensions}."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [{key: properties[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [metric["MetricStat"]["Metric"] for metric in properties["Metrics"] if "MetricStat" in metric]


def test_every_alarm_tells_the_alarm_topic_when_it_fires_and_when_it_clears():
    assert len(ALARMS) >= 10
    for name, alarm in ALARMS.items():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == properties["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert properties["TreatMissingData"] == "notBreaching", name  # quiet when there is no traffic
        threshold = properties["Threshold"]
        # A stack parameter the operator sets, or zero for what must never happen (a failed sweep).
        assert threshold == 0 or threshold["Ref"] in TEMPLATE["Parameters"], name
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert TEMPLATE["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def test_every_function_has_an_errors_alarm_and_the_api_function_a_throttles_alarm():
    def watched(metric_name: str) -> set[str]:
        return {dimension["Value"]["Ref"] for alarm in ALARMS.values() for metric in alarm_metrics(alarm)
                if (metric["Namespace"], metric["MetricName"]) == ("AWS/Lambda", metric_name)
                for dimension in metric["Dimensions"] if dimension["Name"] == "FunctionName"}

    assert watched("Errors") == set(resources_of_type(TEMPLATE, "AWS::Serverless::Function"))
    assert "BinsFunction" in watched("Throttles")
    assert watched("IteratorAge") == {logical_id for logical_id, function in
                                      resources_of_type(TEMPLATE, "AWS::Serverless::Function").items()
                                      if any(event["Type"] == "DynamoDB"
                                             for event in function["Properties"].get("Events", {}).values())}


def test_every_alarm_dimension_names_a_resource_of_this_stack():
    for name, alarm in ALARMS.items():
        for metric in alarm_metrics(alarm):
            assert metric["Dimensions"], name
            for dimension in metric["Dimensions"]:
                value = dimension["Value"]
                if isinstance(value, dict):
                    target = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
                    assert target in RESOURCES, (name, target)
                else:  # the HTTP API's stage, or a route of the template
                    assert value == "$default" or tuple(value.split(" ", 1)) in http_routes(), (name, value)


def test_metric_math_reads_only_the_alarms_own_metrics_and_alarms_on_one_expression():
    for name, alarm in ALARMS.items():
        metrics = alarm["Properties"].get("Metrics")
        if metrics is None:
            continue
        ids = {metric["Id"] for metric in metrics}
        (expression,) = [metric for metric in metrics if metric.get("ReturnData", True)]
        used = set(re.findall(r"\b[a-z]\w*\b", expression["Expression"])) - {"IF", "SUM"}
        assert used and used <= ids - {expression["Id"]}, name
        assert all(metric.get("ReturnData") is False for metric in metrics if metric is not expression), name


def test_the_update_latency_alarm_watches_the_one_route_with_detailed_metrics():
    alarm = RESOURCES["UpdateLatencyAlarm"]["Properties"]
    (route,) = [dimension["Value"] for dimension in alarm["Dimensions"] if dimension["Name"] == "Route"]
    assert tuple(route.split(" ", 1)) == ("PUT", "/v3/b/{binId}")
    gateway = RESOURCES["HttpApi"]["Properties"]
    # Detailed metrics are billed per route: this one only, and its throttle is the default one.
    assert list(gateway["RouteSettings"]) == [route]
    assert gateway["RouteSettings"][route] == {"DetailedMetricsEnabled": True, **gateway["DefaultRouteSettings"]}
    assert alarm["ExtendedStatistic"] == "p99"


# --- The dashboard: its body is JSON once CloudFormation has substituted the stack's names

def dashboard() -> tuple[dict, list[str]]:
    """The dashboard's body as JSON (each ${Name} replaced by a stand-in) and the names it substitutes."""
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    names = re.findall(r"\$\{([^}]+)\}", body)
    return json.loads(re.sub(r"\$\{([^}]+)\}", lambda match: f"stand-in-{match[1]}", body)), names


def code_literals() -> str:
    return "\n".join(path.read_text() for folder in ("functions", "layers/shared/binstore")
                     for path in (ROOT / folder).rglob("*.py"))


def test_the_dashboard_names_only_this_stacks_resources_and_shows_every_alarm():
    body, names = dashboard()
    for name in names:
        assert name.startswith("AWS::") or name.split(".")[0] in RESOURCES, name
    (alarms,) = [widget["properties"]["alarms"] for widget in body["widgets"] if widget["type"] == "alarm"]
    assert alarms == [f"stand-in-{name}.Arn" for name in ALARMS]
    for widget in body["widgets"]:
        if widget["type"] == "log":
            (source,) = re.findall(r"SOURCE 'stand-in-(\w+)'", widget["properties"]["query"])
            assert RESOURCES[source]["Type"] == "AWS::Logs::LogGroup"


def test_the_dashboards_own_metrics_are_ones_the_functions_emit():
    body, _ = dashboard()
    code = code_literals()
    named = {row[1] for widget in body["widgets"] if widget["type"] == "metric"
             for row in widget["properties"]["metrics"] if isinstance(row[0], str) and row[0] == "BinStore"}
    searched = [row[0]["expression"] for widget in body["widgets"] if widget["type"] == "metric"
                for row in widget["properties"]["metrics"] if isinstance(row[0], dict)]
    excluded = set(re.findall(r'"(\w+)"', " ".join(searched))) - {"binstore"}
    assert named and excluded
    for metric in named | excluded - {"ColdStart"}:  # ColdStart: Powertools' own
        assert f'"{metric}"' in code or f"name=\"{metric}\"" in code, metric
    # Requests spent, by kind: every successful request's metric, not the refusals, replays, the
    # extra count of a kept version, nor the routes that spend nothing (/v3/me, revoking a key).
    assert {"RequestRefused", "RequestReplayed", "VersionKept", "KeyDescribed", "AccessKeyDeleted"} <= excluded
    assert not {"BinUpdated", "BinRead", "BinCreated"} & excluded


def test_every_data_bucket_logs_its_access_to_the_access_logs_bucket_which_only_s3s_logging_may_write():
    buckets = resources_of_type(TEMPLATE, "AWS::S3::Bucket")
    logged = {logical_id: bucket["Properties"]["LoggingConfiguration"] for logical_id, bucket in buckets.items()
              if "LoggingConfiguration" in bucket["Properties"]}
    assert set(logged) == set(buckets) - {"AccessLogsBucket"}
    assert all(config["DestinationBucketName"] == {"Ref": "AccessLogsBucket"} for config in logged.values())
    prefixes = [config["LogFilePrefix"] for config in logged.values()]
    assert len(set(prefixes)) == len(prefixes) and all(prefix.endswith("/") for prefix in prefixes)
    (policy,) = [resource["Properties"] for resource in resources_of_type(TEMPLATE, "AWS::S3::BucketPolicy").values()
                 if resource["Properties"]["Bucket"] == {"Ref": "AccessLogsBucket"}]
    (allow,) = [statement for statement in policy["PolicyDocument"]["Statement"] if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"} and allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == [{"Fn::GetAtt": [logical_id, "Arn"]} for logical_id in logged]
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    rules = buckets["AccessLogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "ExpireAccessLogs", "Status": "Enabled", "ExpirationInDays": {"Ref": "AccessLogRetentionDays"}} in rules


def test_an_optional_custom_domain_maps_the_whole_api_at_its_root_over_tls_1_2():
    domain, mapping = RESOURCES["CustomDomain"], RESOURCES["CustomDomainMapping"]
    # API Gateway serves the domain unless the edge is on (then CloudFront does: tested below).
    assert domain["Condition"] == mapping["Condition"] == "HasRegionalCustomDomain"
    assert {"CustomDomain", "CustomDomainMapping"} <= made(CustomDomainName="api.example.com",
                                                           CustomDomainCertificateArn=CERTIFICATE)
    assert TEMPLATE["Conditions"]["HasCustomDomain"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CustomDomainName"}, ""]}]}
    (configuration,) = domain["Properties"]["DomainNameConfigurations"]
    assert configuration == {"CertificateArn": {"Ref": "CustomDomainCertificateArn"}, "EndpointType": "REGIONAL",
                             "SecurityPolicy": "TLS_1_2"}
    # At the root (no ApiMappingKey): the console's pages name their files /console/...
    assert mapping["Properties"] == {"ApiId": {"Ref": "HttpApi"}, "DomainName": {"Ref": "CustomDomain"},
                                     "Stage": "$default"}
    stages = [logical_id for logical_id, resource in transformed()["Resources"].items()
              if resource["Type"] == "AWS::ApiGatewayV2::Stage"]
    assert stages == [mapping["DependsOn"]]  # the stage SAM makes, which the mapping must wait for
    parameters = TEMPLATE["Parameters"]
    assert parameters["CustomDomainName"]["Default"] == parameters["CustomDomainCertificateArn"]["Default"] == ""
    for name, valid, invalid in [("CustomDomainName", "api.example.com", "api example.com"),
                                 ("CustomDomainCertificateArn",
                                  "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab",
                                  "arn:aws:iam::123456789012:role/x")]:
        pattern = re.compile(parameters[name]["AllowedPattern"])
        assert pattern.fullmatch(valid) and pattern.fullmatch("") and not pattern.fullmatch(invalid)


@pytest.mark.parametrize(("tracing", "disabled"), [("Disabled", "true"), ("Active", "false")])
def test_make_run_gives_each_function_its_variables_as_a_deploy_with_the_defaults_would(tracing, disabled):
    """The local stack resolves the template's conditions with every parameter at its default."""
    template = json.loads(json.dumps(TEMPLATE))
    template["Parameters"]["Tracing"]["Default"] = tracing
    functions = local_functions(template)
    assert len(functions) == 4
    assert {function.environment["POWERTOOLS_TRACE_DISABLED"] for function in functions} == {disabled}


def test_snapstart_is_a_parameter_and_every_api_route_invokes_the_published_version_it_snapshots():
    """SnapStart snapshots published versions only: were a route to invoke $LATEST, turning it on
    would change nothing. Every change publishes a version, so the alias never serves stale code."""
    parameter = TEMPLATE["Parameters"]["SnapStart"]
    assert parameter["Default"] == "None" and set(parameter["AllowedValues"]) == {"None", "PublishedVersions"}
    declared = RESOURCES["BinsFunction"]["Properties"]
    assert declared["AutoPublishAlias"] == "live" and declared["AutoPublishAliasAllProperties"] is True
    resources = transformed()["Resources"]
    assert resources["BinsFunction"]["Properties"]["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    (alias,) = [logical_id for logical_id, resource in resources.items() if resource["Type"] == "AWS::Lambda::Alias"]
    (api,) = [resource["Properties"]["Body"] for resource in resources.values()
              if resource["Type"] == "AWS::ApiGatewayV2::Api"]
    targets = {(method.upper(), path): operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
               for path, operations in api["paths"].items() for method, operation in operations.items()}
    api_targets = {target for route, target in targets.items() if route in api_routes()}
    assert len([route for route in targets if route in api_routes()]) == len(api_routes())
    assert api_targets == {"arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                           f"${{{alias}}}/invocations"}
    invokers = {resource["Properties"]["FunctionName"]["Ref"] for resource in resources.values()
                if resource["Type"] == "AWS::Lambda::Permission" and resource["Properties"]["Principal"]
                == "apigateway.amazonaws.com" and "BinsFunction" in json.dumps(resource["Properties"]["FunctionName"])}
    assert invokers == {alias}  # the gateway may invoke the alias, not $LATEST


# The edge (docs/operations.md, "Per-IP rate limit"): CloudFront and a WAF web ACL in front of the API,
# only with PerIpRequestLimit set.

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
# AWS's managed CloudFront policies, by their fixed ids (AWS's CloudFront developer guide).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
EDGE_TYPES = {"AWS::WAFv2::WebACL", "AWS::CloudFront::Distribution", "AWS::SecretsManager::Secret"}


def deployed_with(**parameters) -> dict:
    """The template as deployed with these parameters (the others at their defaults)."""
    template = copy.deepcopy(TEMPLATE)
    for name, value in parameters.items():
        template["Parameters"][name]["Default"] = value
    return template


def made(**parameters) -> set[str]:
    """The resources CloudFormation makes when deployed with these parameters."""
    template = deployed_with(**parameters)
    return {logical_id for logical_id, resource in template["Resources"].items()
            if "Condition" not in resource or condition_holds(resource["Condition"], template)}


def chosen(value, template: dict):
    """`value` as deployed with `template`'s parameters (with_conditions, for the conditions that hold)."""
    return with_conditions(value, {name for name in template["Conditions"] if condition_holds(name, template)})


def outputs_with(**parameters) -> dict[str, object]:
    template = deployed_with(**parameters)
    return {name: chosen(output["Value"], template) for name, output in template["Outputs"].items()
            if "Condition" not in output or condition_holds(output["Condition"], template)}


def test_the_edge_is_off_by_default_and_comes_whole_with_a_per_ip_limit():
    assert TEMPLATE["Parameters"]["PerIpRequestLimit"]["Default"] == 0
    types = {logical_id: resource["Type"] for logical_id, resource in RESOURCES.items()}
    assert not {types[logical_id] for logical_id in made()} & EDGE_TYPES
    edge = made(PerIpRequestLimit=100) - made()
    assert sorted(types[logical_id] for logical_id in edge) == sorted(EDGE_TYPES)  # one of each
    assert "EdgeUrl" not in outputs_with() and "EdgeUrl" in outputs_with(PerIpRequestLimit=100)
    # Off, the functions are given an empty token, so they serve every request (tests/handler/test_edge_origin.py).
    functions = {function.logical_id: function.environment for function in local_functions(TEMPLATE)}
    assert functions["BinsFunction"]["ORIGIN_VERIFY_TOKEN"] == functions[CONSOLE_FUNCTION]["ORIGIN_VERIFY_TOKEN"] == ""


def test_the_web_acl_limits_each_client_address_to_the_parameter_and_answers_429_in_json():
    (acl_id,) = resources_of_type(TEMPLATE, "AWS::WAFv2::WebACL")
    acl = RESOURCES[acl_id]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    (rule,) = acl["Rules"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"  # the connecting address, not a header a client writes
    assert statement["Limit"] == {"Ref": "PerIpRequestLimit"} and statement["EvaluationWindowSec"] == 300
    assert set(statement) == {"AggregateKeyType", "Limit", "EvaluationWindowSec"}  # every request counts
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"]) == {"message": "Too many requests from your address"}
    for visibility in (rule["VisibilityConfig"], acl["VisibilityConfig"]):
        assert visibility["CloudWatchMetricsEnabled"] is True and visibility["SampledRequestsEnabled"] is True
    parameter = TEMPLATE["Parameters"]["PerIpRequestLimit"]
    assert parameter["Type"] == "Number" and parameter["MinValue"] == 0


def test_the_distribution_sends_every_request_through_the_web_acl_to_the_http_api_uncached_with_the_origin_token():
    import origin

    (distribution_id,) = resources_of_type(TEMPLATE, "AWS::CloudFront::Distribution")
    config = RESOURCES[distribution_id]["Properties"]["DistributionConfig"]
    (acl_id,) = resources_of_type(TEMPLATE, "AWS::WAFv2::WebACL")
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (api_origin,) = config["Origins"]
    # The origin is the HTTP API's own URL, the one ApiUrl names with the edge off.
    assert {"Fn::Sub": "https://" + api_origin["DomainName"]["Fn::Sub"]} == outputs_with()["ApiUrl"]
    assert api_origin["CustomOriginConfig"] == {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]}
    behavior = config["DefaultCacheBehavior"]
    assert "CacheBehaviors" not in config and behavior["TargetOriginId"] == api_origin["Id"]
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert {method for method, _ in http_routes()} | {"OPTIONS"} <= set(behavior["AllowedMethods"])
    # IPv4 only: WAF counts IPv6 addresses one by one, and one client may hold billions of them.
    assert config["IPV6Enabled"] is False
    # The header the functions check, with the secret's value; each function is given the same value.
    (custom_header,) = api_origin["OriginCustomHeaders"]
    assert custom_header["HeaderName"].lower() == origin.HEADER.lower()
    (secret_id,) = resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret")
    token = {"Fn::Sub": "{{resolve:secretsmanager:${" + secret_id + "}}}"}
    assert custom_header["HeaderValue"] == token
    deployed = transformed()["Resources"]
    for function_id in ("BinsFunction", CONSOLE_FUNCTION):
        variables = deployed[function_id]["Properties"]["Environment"]["Variables"]
        assert variables[origin.VARIABLE] == {"Fn::If": ["HasEdge", token, ""]}, function_id
    generated = RESOURCES[secret_id]["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    assert {RESOURCES[logical_id]["Condition"] for logical_id in (secret_id, distribution_id, acl_id)} == {"HasEdge"}


def _rule_holds(expression, parameters: dict[str, str]) -> bool | str:
    """A Rules expression for these parameter values (the pseudo parameter AWS::Region among them)."""
    if not isinstance(expression, dict):
        return str(expression)
    ((function, arguments),) = expression.items()
    if function == "Ref":
        return parameters[arguments]
    if function == "Fn::Not":
        return not _rule_holds(arguments[0], parameters)
    if function == "Fn::Equals":
        return _rule_holds(arguments[0], parameters) == _rule_holds(arguments[1], parameters)
    if function == "Fn::Contains":
        return _rule_holds(arguments[1], parameters) in [str(value) for value in arguments[0]]
    raise AssertionError(f"{function} is not evaluated here")


def refusals(limit: str, region: str) -> list[str]:
    """What CloudFormation would refuse the stack with, before making anything: the failed assertions."""
    parameters = {"PerIpRequestLimit": limit, "AWS::Region": region}
    return [assertion["AssertDescription"] for rule in transformed()["Rules"].values()
            if _rule_holds(rule.get("RuleCondition", True), parameters)
            for assertion in rule["Assertions"] if not _rule_holds(assertion["Assert"], parameters)]


def test_the_stacks_rules_refuse_the_edge_outside_us_east_1_and_a_limit_below_wafs_minimum():
    assert refusals("0", "eu-west-1") == refusals("0", "us-east-1") == []  # no edge, no constraint
    assert refusals("10", "us-east-1") == refusals("2000", "us-east-1") == []
    (outside,) = refusals("100", "eu-west-1")
    assert "us-east-1" in outside
    for too_low in "123456789":
        (refused,) = refusals(too_low, "us-east-1")
        assert "at least 10" in refused
    # The rule applies exactly when the edge is on.
    (rule,) = TEMPLATE["Rules"].values()
    for limit in ("0", "10"):
        parameters = {"PerIpRequestLimit": limit}
        assert _rule_holds(rule["RuleCondition"], parameters) == condition_holds(
            "HasEdge", deployed_with(PerIpRequestLimit=int(limit)))


def test_with_the_edge_on_the_urls_are_cloudfronts_and_with_a_domain_cloudfront_serves_it():
    off, on = outputs_with(), outputs_with(PerIpRequestLimit=100)
    edge_url = {"Fn::Sub": "https://${EdgeDistribution.DomainName}"}
    assert on["ApiUrl"] == on["EdgeUrl"] == edge_url  # the execute-api URL refuses every request then
    assert off["ApiUrl"] != edge_url
    for outputs in (off, on):
        assert outputs["ConsoleUrl"] == {"Fn::Sub": outputs["ApiUrl"]["Fn::Sub"] + "/console"}
    domain = {"CustomDomainName": "api.example.com", "CustomDomainCertificateArn": CERTIFICATE}
    regional, edge = made(**domain), made(**domain, PerIpRequestLimit=100)
    assert {"CustomDomain", "CustomDomainMapping"} <= regional and "EdgeDistribution" not in regional
    assert not {"CustomDomain", "CustomDomainMapping"} & edge and "EdgeDistribution" in edge
    assert outputs_with(**domain)["CustomDomainTarget"] == {"Fn::GetAtt": ["CustomDomain", "RegionalDomainName"]}
    assert outputs_with(**domain, PerIpRequestLimit=100)["CustomDomainTarget"] == {
        "Fn::GetAtt": ["EdgeDistribution", "DomainName"]}
    config = RESOURCES["EdgeDistribution"]["Properties"]["DistributionConfig"]
    with_domain = chosen(config, deployed_with(**domain, PerIpRequestLimit=100))
    assert with_domain["Aliases"] == [{"Ref": "CustomDomainName"}]
    assert with_domain["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": "CustomDomainCertificateArn"}, "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021"}
    without = chosen(config, deployed_with(PerIpRequestLimit=100))
    assert "Aliases" not in without  # AWS::NoValue: CloudFormation leaves the property out
    assert without["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def test_the_readmes_parameter_table_names_every_parameter_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| Parameter | Default | What it sets |"):]
    rows = [line.split(" | ") for line in itertools.takewhile(lambda line: line.startswith("| "),
                                                              table.splitlines()[2:])]
    assert rows, "the README's deploy section lost its parameter table"
    listed = {}
    for names, defaults, _ in ([cell.strip("| ") for cell in row[:2]] + [row[2]] for row in rows):
        names = re.findall(r"`(\w+)`", names)
        defaults = re.findall(r"`([^`]*)`", defaults) or [""] * len(names)  # "empty"
        assert len(names) == len(defaults), names
        listed.update(zip(names, defaults, strict=True))
    parameters = TEMPLATE["Parameters"]
    assert set(listed) == set(parameters)
    assert {name: str(parameter.get("Default", "")) for name, parameter in parameters.items()} == listed


def _published_version(*arguments: str) -> tuple[str, dict]:
    """The API function's version after the transform, as (logical id, properties): what the alias serves."""
    ((logical_id, version),) = [(logical_id, resource) for logical_id, resource in transformed(*arguments)["Resources"].items()
                                if resource["Type"] == "AWS::Lambda::Version"]
    return logical_id, version


def test_new_code_in_the_function_or_its_layer_publishes_a_new_version_for_the_alias():
    """The layer holds binstore, most of the API's code: a new layer alone must reach the alias."""
    unchanged, _ = _published_version()
    assert _published_version("--new-code=BinsFunction")[0] != unchanged
    assert _published_version("--new-code=SharedLayer")[0] != unchanged
    assert _published_version("--new-code=ConsoleFunction")[0] == unchanged  # the test can tell


def _parameters_read(value, seen_conditions=()) -> set[str]:
    """Every parameter `value` names, directly or through the conditions it uses."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and item in TEMPLATE["Parameters"]:
                found.add(item)
            elif key in ("Fn::If", "Condition") and isinstance(item, (list, str)):
                condition = item[0] if isinstance(item, list) else item
                if condition not in seen_conditions:
                    found |= _parameters_read(TEMPLATE["Conditions"][condition], (*seen_conditions, condition))
                found |= _parameters_read(item[1:] if isinstance(item, list) else [], seen_conditions)
            elif key == "Fn::Sub":
                text, variables = (item, {}) if isinstance(item, str) else item
                found |= {name for name in re.findall(r"\$\{(\w+)\}", text) if name in TEMPLATE["Parameters"]}
                found |= _parameters_read(variables, seen_conditions)
            else:
                found |= _parameters_read(item, seen_conditions)
    elif isinstance(value, list):
        for item in value:
            found |= _parameters_read(item, seen_conditions)
    return found


def test_a_new_value_of_any_parameter_the_api_functions_settings_read_publishes_a_new_version():
    """SAM hashes the function's properties as written (`!Ref Name`, not its value): a parameter's new
    value reaches the alias only because the version's description holds it, and a version's
    description cannot change in place (a new one replaces the version, publishing the function)."""
    # The function as deployed (Globals merged in by SAM), but not the concurrency reservation: it is
    # the function's, whichever version runs.
    function = transformed()["Resources"]["BinsFunction"]["Properties"]
    settings = {key: value for key, value in function.items() if key != "ReservedConcurrentExecutions"}
    read = _parameters_read(settings)
    assert {"BuyRequestsAt", "PerIpRequestLimit", "SnapStart", "Tracing"} <= read  # the walk finds them
    _, version = _published_version()
    description = version["Properties"]["Description"]
    described = set(re.findall(r"\$\{(\w+)\}", description["Fn::Sub"]))
    assert read <= described, f"not in the version's description: {sorted(read - described)}"
    # The same text is a variable of the function: a new description is always a change of the
    # function, which Lambda publishes (it refuses to publish a version of an unchanged function).
    assert function["Environment"]["Variables"]["DEPLOYED_SETTINGS"] == description
    assert version["DeletionPolicy"] == "Delete"  # a replaced version (and its snapshot) does not linger
    # Lambda takes a description of 256 characters at most, whatever the values.
    longest = {name: parameter.get("MaxLength") or len(str(parameter.get("MaxValue", ""))) or
               max((len(str(value)) for value in parameter.get("AllowedValues", [])), default=10**6)
               for name, parameter in TEMPLATE["Parameters"].items() if name in described}
    text = version["Properties"]["Description"]["Fn::Sub"]
    assert len(re.sub(r"\$\{\w+\}", "", text)) + sum(longest.values()) <= 256, longest
