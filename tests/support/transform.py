"""Print template.yaml as CloudFormation sees it after the SAM transform (JSON on stdout).

Runs in .venv-sam (samtranslator comes with SAM CLI). It shows what SAM adds on its own, such as
each function's generated role and the managed policies attached to it, which the template does
not spell out. Code locations are replaced by placeholders: the transform needs S3 URIs, the
tests only look at roles and resources. No AWS call is made.

Usage: python -m tests.support.transform template.yaml [Name=Value ...]
(parameter values, as `sam deploy --parameter-overrides` gives them; the others keep their defaults)
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


def main(path: str, *parameters: str) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml_parse(open(path, encoding="utf-8").read())
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if uri in properties:
                properties[uri] = "s3://placeholder/code.zip"
    parameter_values = dict(parameter.split("=", 1) for parameter in parameters)
    json.dump(transform(template, parameter_values, _KnownManagedPolicies()), sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
