"""Which stack binctl acts on, and where it finds the stack's tables and bucket.

Which stack: with `--stack NAME`, the deployed stack of that name, in the account and region the
AWS environment names (AWS_PROFILE, AWS_REGION, ...). Without it, `make run`'s local stack, which
binctl reaches only through an AWS_ENDPOINT_URL on this machine (a loopback address, as make run
prints it): with no AWS_ENDPOINT_URL, or one elsewhere, binctl refuses rather than act on a real
account by accident. A loopback endpoint needs nothing more: binctl fills in a region and dummy
credentials if the environment has none (moto accepts any).

Where: a deployed stack's CloudFormation Outputs (`--stack NAME`); the variables the functions
themselves read (ACCOUNTS_TABLE, ...); and, for any not set, the names `make run` gives its local
stack. template.yaml follows one naming rule for all three, from binstore.settings' list of
resources: the variable ACCOUNTS_TABLE names the resource AccountsTable, published as the output
AccountsTableName, and created locally as AccountsTable (a bucket in lower case, as S3 requires).
"""

import ipaddress
import os
from collections.abc import Mapping, MutableMapping
from urllib.parse import urlsplit

import boto3

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


LOCAL_REGION = "us-east-1"  # make run's


class NoStackChosen(ValueError):
    """binctl was not told which stack to act on, in words for the operator."""


def is_on_this_machine(url: str) -> bool:
    """Whether `url` names a loopback host (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings(stack_name: str | None, environ: MutableMapping[str, str] = os.environ) -> Settings:
    """The stack binctl acts on (see the module's docstring); NoStackChosen if none is clear."""
    if stack_name:
        return stack_settings(stack_name)
    endpoint = environ.get("AWS_ENDPOINT_URL", "").strip()
    if not endpoint:
        raise NoStackChosen(
            "which stack? For make run's local stack, export the line make run prints "
            "(AWS_ENDPOINT_URL=http://127.0.0.1:<MOTO_PORT> ...); for a deployed stack, pass --stack NAME"
        )
    if not is_on_this_machine(endpoint):
        raise NoStackChosen(
            f"AWS_ENDPOINT_URL ({endpoint}) is not on this machine: binctl acts on a deployed stack only "
            "with --stack NAME, and on make run's local stack through a 127.0.0.1 endpoint"
        )
    # moto on this machine takes any region and any credentials: none need to be set.
    if not environ.get("AWS_REGION") and not environ.get("AWS_DEFAULT_REGION"):
        environ["AWS_DEFAULT_REGION"] = LOCAL_REGION
    if not environ.get("AWS_ACCESS_KEY_ID") and not environ.get("AWS_PROFILE"):
        environ["AWS_ACCESS_KEY_ID"] = environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    return local_settings(environ)
