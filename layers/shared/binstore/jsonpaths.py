"""X-JSON-Path: extract part of a record with a JSONPath expression (Goessner's syntax, as JSONBin).

jsonpath-ng's extended parser understands filters (`?(@.age > 25)`), slices and unions. Like
JSONPath itself, the answer is the list of every match, in document order. It is imported on the
first read that asks for a path, not by every cold start.
"""

from functools import lru_cache

from binstore import errors

MAX_EXPRESSION_LENGTH = 1000


@lru_cache(maxsize=256)
def _compiled(expression: str):
    from jsonpath_ng.ext import parse

    return parse(expression)


def select(expression: str, document) -> list:
    if not expression.strip() or len(expression) > MAX_EXPRESSION_LENGTH:
        raise errors.InvalidJsonPath()
    from jsonpath_ng.exceptions import JSONPathError

    try:
        return [match.value for match in _compiled(expression).find(document)]
    except (JSONPathError, RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        # Parse errors, and the lexer's and evaluator's own (jsonpath-ng raises plain exceptions for
        # some malformed expressions): all of them mean the expression is not one we can apply.
        raise errors.InvalidJsonPath() from None
