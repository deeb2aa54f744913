"""A warm 'Lambda container': imports the handler once, then serves invocations until stdin closes.

Protocol, one JSON document a line: the pool writes an event on stdin; the worker answers on its
original stdout with {"result": ...} or {"errorMessage", "errorType"}. Everything the function
itself prints (Powertools logs, EMF metrics) goes to stderr, as it would go to CloudWatch.

Usage: python -m local.worker HANDLER CODE_DIR [LAYER_DIR ...]   (environment already set)
"""

import importlib
import json
import os
import sys
import uuid
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def main(argv: list[str]) -> None:
    handler_path, code_dir, *layer_dirs = argv
    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the function's own prints go to stderr
    sys.path[:0] = [code_dir, *layer_dirs]
    module_name, function_name = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    replies.write('"ready"\n')
    for line in sys.stdin:
        event = json.loads(line)
        context = LambdaContext(function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local"))
        try:
            reply = {"result": handler(event, context)}
        except Exception as error:  # a Lambda reports an unhandled error to its caller this way
            reply = {"errorMessage": str(error), "errorType": type(error).__name__}
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
