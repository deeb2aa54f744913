"""Which stack binctl acts on, and where it finds the stack's tables and bucket.

Which stack: with `--stack NAME`, the deployed stack of that name, in the account and region the
AWS environment names (AWS_PROFILE, AWS_DEFAULT_REGION or AWS_REGION, ...). Without it, `make
run`'s local stack, which binctl reaches only through an AWS_ENDPOINT_URL on this machine (a
loopback address, as make run prints it): with no AWS_ENDPOINT_URL, or one elsewhere, binctl
refuses rather than act on a real account by accident. Its clients for the local stack are made
for that endpoint alone, with moto's region and dummy credentials: no other setting of the
environment (a profile, AWS_ENDPOINT_URL_DYNAMODB) can send them elsewhere.

Where: a deployed stack's CloudFormation Outputs (`--stack NAME`); the variables the functions
themselves read (ACCOUNTS_TABLE, ...); and, for any not set, the names `make run` gives its local
stack. template.yaml follows one naming rule for all three, from binstore.settings' list of
resources: the variable ACCOUNTS_TABLE names the resource AccountsTable, published as the output
AccountsTableName, and created locally as AccountsTable (a bucket in lower case, as S3 requires).
"""

import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

import boto3
import botocore.session

from binstore.settings import RESOURCE_VARIABLES, Settings


def logical_id(variable: str) -> str:
    """The template's resource for a settings variable: ACCOUNTS_TABLE -> AccountsTable."""
    return "".join(part.capitalize() for part in variable.split("_"))


def output_key(variable: str) -> str:
    """The stack output publishing a resource's name: ACCOUNTS_TABLE -> AccountsTableName."""
    return f"{logical_id(variable)}Name"


def local_name(resource_logical_id: str) -> str:
    """What `make run` names a resource: its logical id (a bucket's in lower case)."""
    return resource_logical_id.lower() if resource_logical_id.endswith("Bucket") else resource_logical_id


def local_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The local stack's resources, unless `environ` names others."""
    environ = {} if environ is None else environ
    names = {variable: environ.get(variable) or local_name(logical_id(variable)) for variable in RESOURCE_VARIABLES}
    return Settings.from_environment({**environ, **names})


def settings_from_outputs(outputs: Mapping[str, str]) -> Settings:
    """Settings for a deployed stack, from its CloudFormation Outputs (OutputKey -> OutputValue)."""
    missing = sorted(output_key(variable) for variable in RESOURCE_VARIABLES if output_key(variable) not in outputs)
    if missing:
        raise ValueError(f"the stack has no output {', '.join(missing)}: is it a binstore stack?")
    return Settings.from_environment({variable: outputs[output_key(variable)] for variable in RESOURCE_VARIABLES})


def stack_outputs(stack_name: str) -> dict[str, str]:
    """The deployed stack's CloudFormation Outputs (OutputKey -> OutputValue): ApiUrl, the names."""
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_settings(stack_name: str) -> Settings:
    """Settings for the deployed binstore stack `stack_name`, found through its Outputs."""
    return settings_from_outputs(stack_outputs(stack_name))


LOCAL_REGION = "us-east-1"  # make run's: moto keeps each region's tables apart

# make run's moto, as its banner prints it: a loopback host, an optional port, nothing else (no user
# info, no path: what urllib3 would connect to must be what this check read).
_LOCAL_ENDPOINT = re.compile(
    r"(?P<scheme>https?)://(?P<host>127(?:\.[0-9]{1,3}){3}|localhost|\[::1\])(?::(?P<port>[0-9]{1,5}))?/?",
    re.IGNORECASE,
)


class NoStackChosen(ValueError):
    """binctl was not told which stack to act on, in words for the operator."""


@dataclass(frozen=True)
class Target:
    settings: Settings
    local_endpoint: str | None = None  # make run's moto: binctl's clients are made for it alone


def local_endpoint(value: str) -> str:
    """`value` if it is an endpoint on this machine (see _LOCAL_ENDPOINT); NoStackChosen otherwise."""
    match = _LOCAL_ENDPOINT.fullmatch(value)
    valid = False
    if match is not None:
        port_ok = match["port"] is None or 1 <= int(match["port"]) <= 65535
        host = match["host"]
        valid = port_ok and (not host[0].isdigit() or all(int(octet) <= 255 for octet in host.split(".")))
    if not valid:
        raise NoStackChosen(
            f"AWS_ENDPOINT_URL ({value!r}) is not an endpoint on this machine: binctl acts on make run's local "
            "stack through http://127.0.0.1:<MOTO_PORT> (the line make run prints), and on a deployed stack "
            "only with --stack NAME"
        )
    return value


def target(stack_name: str | None, environ: MutableMapping[str, str] = os.environ) -> Target:
    """The stack binctl acts on (see the module's docstring); NoStackChosen if none is clear."""
    if stack_name:
        # boto3 reads AWS_DEFAULT_REGION; AWS_REGION is what Lambda and many tools set.
        if not environ.get("AWS_DEFAULT_REGION") and environ.get("AWS_REGION"):
            environ["AWS_DEFAULT_REGION"] = environ["AWS_REGION"]
        return Target(stack_settings(stack_name))
    endpoint = environ.get("AWS_ENDPOINT_URL") or ""
    if not endpoint:
        raise NoStackChosen(
            "which stack? For make run's local stack, export the line make run prints "
            "(AWS_ENDPOINT_URL=http://127.0.0.1:<MOTO_PORT> ...); for a deployed stack, pass --stack NAME"
        )
    return Target(local_settings(environ), local_endpoint(endpoint))


def endpoint_note(environ: Mapping[str, str] = os.environ) -> str:
    """Where a deployed stack was looked for, when AWS_ENDPOINT_URL sent the lookup elsewhere than
    AWS: most often make run's export, left in the shell."""
    endpoint = environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return ""
    return (
        f" (asked AWS_ENDPOINT_URL={endpoint}, not AWS: for a deployed stack, unset AWS_ENDPOINT_URL "
        "in this shell, which make run's export line sets)"
    )


def local_clients(endpoint: str, config) -> tuple:
    """DynamoDB and S3 clients for make run's moto alone: an explicit endpoint wins over every
    AWS_ENDPOINT_URL_* variable and config file, and the region and credentials are moto's, so
    nothing of a real account (a profile's keys, its endpoints) is ever used."""

    # AWS_PROFILE names the operator's real account: the local stack's session looks up no profile
    # (not even to find it missing), by a profile variable that no environment variable sets.
    session = boto3.session.Session(
        botocore_session=botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    )

    def client(service: str):
        return session.client(
            service,
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return client("dynamodb"), client("s3")
