"""X-JSON-Path: extract part of a record with a JSONPath expression (Goessner's syntax, as JSONBin).

jsonpath-ng's extended parser understands filters (`?(@.age > 25)`), slices and unions. Like
JSONPath itself, the answer is the list of every match, in document order.
"""

from functools import lru_cache

from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse

from binstore import errors

MAX_EXPRESSION_LENGTH = 1000


@lru_cache(maxsize=256)
def _compiled(expression: str):
    return parse(expression)


def select(expression: str, document) -> list:
    if not expression.strip() or len(expression) > MAX_EXPRESSION_LENGTH:
        raise errors.InvalidJsonPath()
    try:
        return [match.value for match in _compiled(expression).find(document)]
    except (JSONPathError, RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        # Parse errors, and the lexer's and evaluator's own (jsonpath-ng raises plain exceptions for
        # some malformed expressions): all of them mean the expression is not one we can apply.
        raise errors.InvalidJsonPath() from None
