"""Print template.yaml as CloudFormation sees it after the SAM transform (JSON on stdout).

Runs in .venv-sam (samtranslator comes with SAM CLI). It shows what SAM adds on its own, such as
each function's generated role and the managed policies attached to it, which the template does
not spell out. Code locations are replaced by placeholders: the transform needs S3 URIs, the
tests only look at roles and resources. No AWS call is made.

Usage: python -m tests.support.transform template.yaml [--new-code=LogicalId ...] [Name=Value ...]
(parameter values, as `sam deploy --parameter-overrides` gives them; the others keep their defaults.
--new-code gives that function or layer another code location, as a deploy of changed code does.)
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# The managed policies SAM may attach, by name; the transform only needs their ARNs.
_MANAGED_POLICIES = {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in (
    "AWSLambdaBasicExecutionRole", "AWSLambdaDynamoDBExecutionRole", "AWSXrayWriteOnlyAccess")}


class _KnownManagedPolicies:
    def load(self) -> dict[str, str]:
        return _MANAGED_POLICIES


def main(path: str, *arguments: str) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml_parse(open(path, encoding="utf-8").read())
    changed = {argument.removeprefix("--new-code=") for argument in arguments if argument.startswith("--new-code=")}
    parameters = [argument for argument in arguments if not argument.startswith("--")]
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if uri in properties:
                properties[uri] = f"s3://placeholder/{logical_id}{'-new' if logical_id in changed else ''}.zip"
    parameter_values = dict(parameter.split("=", 1) for parameter in parameters)
    json.dump(transform(template, parameter_values, _KnownManagedPolicies()), sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
