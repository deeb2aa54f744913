"""The Lambda context a handler is invoked with: the local stack's own (local.worker), named for a function."""

from local.worker import LambdaContext


def lambda_context(function_name: str = "BinsFunction") -> LambdaContext:
    return LambdaContext(function_name=function_name)
