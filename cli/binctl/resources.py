"""Where binctl finds the stack's tables and bucket.

In order: a deployed stack's CloudFormation Outputs (`--stack NAME`); the variables the functions
themselves read (ACCOUNTS_TABLE, ...); and, for any not set, the names `make run` gives its local
stack. template.yaml follows one naming rule for all three, from binstore.settings' list of
resources: the variable ACCOUNTS_TABLE names the resource AccountsTable, published as the output
AccountsTableName, and created locally as AccountsTable (a bucket in lower case, as S3 requires).
"""

import os
from collections.abc import Mapping

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


def stack_settings(stack_name: str) -> Settings:
    """Settings for the deployed binstore stack `stack_name`, found through its Outputs."""
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return settings_from_outputs({output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])})


def settings(stack_name: str | None) -> Settings:
    return stack_settings(stack_name) if stack_name else local_settings(os.environ)
