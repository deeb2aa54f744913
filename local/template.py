"""template.yaml, read the way the local stack needs it: resources to create, functions to run."""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from binctl.resources import local_name

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref X -> {"Ref": X}, !GetAtt A.B -> ...)."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict:
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_CfnLoader)


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def local_names(template: dict) -> dict[str, str]:
    """Local physical name of each table and bucket, by logical id.

    The function finds its resources through environment variables (ACCOUNTS_TABLE: !Ref
    AccountsTable); locally each is named after its logical id (binctl.resources.local_name), so
    the function, binctl and the local stack agree without configuration.
    """
    stateful = [*resources_of_type(template, "AWS::DynamoDB::Table"), *resources_of_type(template, "AWS::S3::Bucket")]
    return {logical_id: local_name(logical_id) for logical_id in stateful}


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    handler: str
    code_dir: str
    layer_dirs: list[str]
    environment: dict[str, str]
    event_types: frozenset[str]  # e.g. {"HttpApi"} for a function behind the API
    timeout_seconds: int = 3  # Lambda's default, when the template sets none


def condition_holds(name: str, template: dict) -> bool:
    """The template's condition `name` with every parameter at its default, as the local stack runs
    (no domain, no edge: template.yaml's optional parts are off)."""
    return _holds(template["Conditions"][name], template)


def _holds(expression: dict, template: dict) -> bool:
    ((function, arguments),) = expression.items()
    if function in ("Condition", "Fn::Condition"):  # as JSON spells it, and as _CfnLoader reads !Condition
        return condition_holds(arguments, template)
    if function == "Fn::Not":
        return not _holds(arguments[0], template)
    if function == "Fn::And":
        return all(_holds(argument, template) for argument in arguments)
    if function == "Fn::Or":
        return any(_holds(argument, template) for argument in arguments)
    if function == "Fn::Equals":
        left, right = (_resolve(argument, template, {}) for argument in arguments)
        return left == right
    raise ValueError(f"cannot evaluate {function} locally")


def _resolve(value, template: dict, names: dict[str, str]) -> str:
    if isinstance(value, dict) and "Fn::If" in value:
        condition, if_true, if_false = value["Fn::If"]
        return _resolve(if_true if condition_holds(condition, template) else if_false, template, names)
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        # ${Name} of a parameter or a resource; a dynamic reference ({{resolve:...}}) is AWS's alone.
        return re.sub(r"\$\{([\w:]+)\}", lambda name: _resolve({"Ref": name[1]}, template, names), value["Fn::Sub"])
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref in names:
            return names[ref]
        parameter = template.get("Parameters", {}).get(ref)
        if parameter is not None:
            return str(parameter.get("Default", ""))
        raise ValueError(f"cannot resolve !Ref {ref} locally")
    if isinstance(value, (dict, list)):
        raise ValueError(f"cannot resolve {value!r} locally")
    return str(value)


def local_functions(template: dict) -> list[LocalFunction]:
    names = local_names(template)
    global_function = template.get("Globals", {}).get("Function", {})
    layers = resources_of_type(template, "AWS::Serverless::LayerVersion")
    functions = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = {**global_function, **resource["Properties"]}
        variables = {
            **global_function.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        # A python layer built by SAM lands in /opt/python; locally its source folder stands in.
        layer_dirs = [
            str(ROOT / layers[layer["Ref"]]["Properties"]["ContentUri"]) for layer in properties.get("Layers", [])
        ]
        functions.append(
            LocalFunction(
                logical_id=logical_id,
                handler=properties["Handler"],
                code_dir=str(ROOT / properties["CodeUri"]),
                layer_dirs=layer_dirs,
                environment={name: _resolve(value, template, names) for name, value in variables.items()},
                event_types=frozenset(event["Type"] for event in properties.get("Events", {}).values()),
                timeout_seconds=int(properties.get("Timeout", 3)),
            )
        )
    return functions
