"""The Bins function as Lambda runs it: its handler, code, layer and environment, from template.yaml."""

import importlib
import os
import sys

from local.template import LocalFunction, load_template, local_functions

FUNCTION = "BinsFunction"
# What the bench's in-process emulation needs beside the function's own variables.
FAKE_AWS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def bins_function() -> LocalFunction:
    return next(function for function in local_functions(load_template()) if function.logical_id == FUNCTION)


def environment(function: LocalFunction) -> dict[str, str]:
    """The function's variables, as the template sets them (its tables named as the local stack names them)."""
    # LAMBDA_TASK_ROOT as Lambda sets it: outside Lambda, the X-Ray SDK (Powertools' Tracer) makes an
    # X-Ray client at import for its sampling rules, about 100 ms that no Lambda cold start pays.
    return {
        **FAKE_AWS,
        **function.environment,
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "LAMBDA_TASK_ROOT": function.code_dir,
    }


def python_path(function: LocalFunction) -> list[str]:
    return [function.code_dir, *function.layer_dirs]


def import_handler(function: LocalFunction):
    """Import the handler's module in this process, as a warm Lambda container has it; return the handler."""
    os.environ.update(environment(function))
    sys.path[:0] = python_path(function)
    module_name, handler_name = function.handler.rsplit(".", 1)
    module = importlib.import_module(module_name)
    return module, getattr(module, handler_name)
