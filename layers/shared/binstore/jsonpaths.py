"""X-JSON-Path: extract part of a record with a JSONPath expression, within fixed bounds.

Anyone may send an expression (a public bin is readable without a key), and the bin's owner pays
for the read, so an expression is treated as hostile:

- **A subset, checked before any AWS call.** What JSONBin's JSON Path page documents (Goessner's
  syntax): `$`, `@`, `.name`, `['name', ...]`, `..` (once per expression), `*`, `[n, ...]`,
  `[start:end:step]`, and `[?(...)]` filters that test or compare a member of `@`
  (`==`, `!=`, `<`, `<=`, `>`, `>=`, `!`, `&&`, `||`) with a literal. Anything else jsonpath-ng
  understands (regex `=~`, arithmetic, `sub`/`split`/`len`/`sorted` and the other named operators,
  `|`, `&`, `where`, `parent`, sorting) is refused with 400. Script expressions such as
  `(@.length-1)` do not parse.
- **Bounded work.** Each step of the parsed expression is metered: an evaluation may produce at
  most MAX_WORK intermediate matches and take at most MAX_SECONDS, else it is refused (400). This
  is what stops unions multiplied by each other and descents over huge records. An expression has
  at most MAX_STEPS steps.
- **Bounded answer.** The matches are serialised one by one, inside the error handling, and an
  answer over MAX_RESULT_BYTES is refused (400), never truncated.

jsonpath-ng is imported on the first read that asks for a path, not by every cold start.
"""

import json
import time
import warnings
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from binstore import errors
from binstore.plans import LARGEST_RECORD_BYTES
from binstore.records import to_json_text

MAX_EXPRESSION_LENGTH = 1000
# Intermediate matches one evaluation may produce (every step's output counts). Memory follows the
# matches kept: about 250 bytes each, so this keeps an evaluation under about 250 MB of the
# function's 512. Measured here: one descent over a 1 MiB record counts 110,000-525,000 (`$..name`),
# and `$..*` over a record of half a million values, 1,050,000 (refused).
MAX_WORK = 1_000_000
# A backstop for a slow machine, well inside the function's 10 s timeout: a 512 MB Lambda function
# has about a third of a core, so there a descent over the largest records may meet this first.
MAX_SECONDS = 3.0
# The answer may be as large as the largest record, no larger (Lambda's answer limit is 6 MB).
MAX_RESULT_BYTES = LARGEST_RECORD_BYTES
MAX_DESCENTS = 1
MAX_STEPS = 100

# How a refusal names what jsonpath-ng parsed (its own class names are no help to a caller).
_UNSUPPORTED_NAMES = {
    "Operation": "arithmetic (+ - * /)",
    "_Union": "the | operator",
    "_Intersect": "the & operator",
    "Where": "where",
    "WhereNot": "wherenot",
    "This": "@ outside a filter",
    "SortedThis": "sorting",
}
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_LITERALS = (str, int, float, bool, type(None))


class _OverBudget(Exception):
    pass


class _Budget:
    def __init__(self):
        self.work_left = MAX_WORK
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self, amount: int) -> None:
        self.work_left -= amount
        if self.work_left < 0 or time.monotonic() > self.deadline:
            raise _OverBudget()


_budget: ContextVar[_Budget] = ContextVar("jsonpath_budget")


@dataclass(frozen=True)
class JsonPath:
    """A parsed expression within the supported subset, ready to be applied to any record."""

    expression: str
    _tree: Any  # jsonpath-ng's parse tree (untyped)


def _check_filter_operand(node, classes) -> None:
    """A filter compares a member of the current element: `@`, then single names and indices."""
    if isinstance(node, classes.This):
        return
    if isinstance(node, classes.Fields) and len(node.fields) == 1:
        return  # `@.a` inside a filter can parse as a bare field
    if isinstance(node, classes.Child):
        _check_filter_operand(node.left, classes)
        right = node.right
        if (isinstance(right, classes.Fields) and len(right.fields) == 1) or (
            isinstance(right, classes.Index) and len(right.indices) == 1
        ):
            return
    raise errors.UnsupportedJsonPath("a filter that is not a member of @ (such as @.price)")


def _check_filter(node, classes) -> None:
    if isinstance(node, (classes.And, classes.Or)):
        for operand in node.operands:
            _check_filter(operand, classes)
        return
    if not isinstance(node, classes.Expression):
        raise errors.UnsupportedJsonPath("this filter expression")
    if node.op == "=~":
        raise errors.UnsupportedJsonPath("the regex operator =~")
    if node.op is not None and node.op != "!" and node.op not in _COMPARISONS:
        raise errors.UnsupportedJsonPath(f"the operator {node.op}")
    if node.op in _COMPARISONS and not isinstance(node.value, _LITERALS):
        raise errors.UnsupportedJsonPath("a comparison with anything but a string, number, true, false or null")
    _check_filter_operand(node.target, classes)


def _check(node, classes, descents: list, steps: list) -> None:
    """Refuse anything outside the supported subset (see the module's docstring)."""
    steps.append(node)
    if len(steps) > MAX_STEPS:
        # Evaluation recurses once per step: a long chain would run out of stack, not of record.
        raise errors.UnsupportedJsonPath(f"more than {MAX_STEPS} steps")
    if isinstance(node, (classes.Root, classes.Fields, classes.Wildcard, classes.Index, classes.Slice)):
        return
    if isinstance(node, classes.Child):
        _check(node.left, classes, descents, steps)
        _check(node.right, classes, descents, steps)
        return
    if isinstance(node, classes.Descendants):
        descents.append(node)
        if len(descents) > MAX_DESCENTS:
            raise errors.UnsupportedJsonPath("more than one recursive descent (..)")
        _check(node.left, classes, descents, steps)
        _check(node.right, classes, descents, steps)
        return
    if isinstance(node, classes.Filter):
        if not node.expressions:
            raise errors.UnsupportedJsonPath("an empty filter")
        for expression in node.expressions:
            _check_filter(expression, classes)
        return
    name = type(node).__name__
    raise errors.UnsupportedJsonPath(_UNSUPPORTED_NAMES.get(name, f"`{name.lower()}`"))


def _meter(node, classes) -> None:
    """Make every step of the tree count what it produces against the evaluation's budget.

    jsonpath-ng evaluates eagerly, node by node (each node calls its children's `find`), so
    wrapping each step's `find` bounds the work between two checks to one step. The nodes that only
    combine others (Child, Descendants) are not counted themselves: what they return was counted
    when their children produced it, and a descent calls its right side once per value it visits.
    Nor is `@`, which returns the value it is given.
    """
    if not isinstance(node, (classes.Child, classes.Descendants, classes.This)):
        original = node.find

        def find(datum):
            found = original(datum)
            _budget.get().spend(len(found) + 1)
            return found

        node.find = find
    for child in (getattr(node, "left", None), getattr(node, "right", None), getattr(node, "target", None)):
        if child is not None and hasattr(child, "find"):
            _meter(child, classes)
    for child in [*getattr(node, "expressions", ()), *getattr(node, "operands", ())]:
        _meter(child, classes)


class _Classes:
    """jsonpath-ng's node classes, imported on first use."""

    def __init__(self):
        from jsonpath_ng.ext.filter import And, Expression, Filter, Or
        from jsonpath_ng.jsonpath import Child, Descendants, Fields, Index, Root, Slice, This, Wildcard

        self.Root, self.This, self.Child, self.Descendants = Root, This, Child, Descendants
        self.Fields, self.Wildcard, self.Index, self.Slice = Fields, Wildcard, Index, Slice
        self.Filter, self.Expression, self.And, self.Or = Filter, Expression, And, Or


@lru_cache(maxsize=1)
def _classes() -> _Classes:
    return _Classes()


@lru_cache(maxsize=256)
def compile_path(expression: str) -> JsonPath:
    """Parse and check an expression: raise InvalidJsonPath or UnsupportedJsonPath (no AWS call needed)."""
    if not expression.strip() or len(expression) > MAX_EXPRESSION_LENGTH:
        raise errors.InvalidJsonPath()
    from jsonpath_ng.ext import parse

    classes = _classes()
    try:
        with warnings.catch_warnings(record=True) as deprecated:
            # jsonpath-ng warns about deprecated syntax, quoting the user's text: recorded here, so
            # it stays out of the logs, and refused below.
            warnings.simplefilter("always")
            tree = parse(expression)
    except errors.BinStoreError:
        raise
    except Exception:
        # jsonpath-ng's own parse errors, and the plain exceptions its lexer and parser raise for
        # some malformed expressions: all of them mean the expression is not one we can apply.
        raise errors.InvalidJsonPath() from None
    if deprecated:
        # An unquoted word compared as a string (`@.age > NaN` matches "old"), `&` for `&&`, `|`:
        # syntax jsonpath-ng is dropping, and JSONBin does not document.
        raise errors.UnsupportedJsonPath("deprecated syntax (an unquoted word as a string, & or |)")
    try:
        _check(tree, classes, [], [])
    except RecursionError:
        raise errors.InvalidJsonPath() from None
    _meter(tree, classes)
    return JsonPath(expression, tree)


def select_json(path: JsonPath, record_json_text: str) -> str:
    """The JSON text of the list of every match of `path` in the record, in document order."""
    token = _budget.set(_Budget())
    try:
        document = json.loads(record_json_text)
        matches = path._tree.find(document)
        parts, size = [], 2
        budget = _budget.get()
        for match in matches:
            # One match at a time: the list around them would add a level of nesting that a record
            # at the parser's maximum depth cannot take, and the size is checked as it grows. The
            # time bound covers this too (writing out half a million matches takes seconds).
            budget.spend(0)
            text = to_json_text(match.value)
            size += len(text.encode("utf-8")) + 1
            if size > MAX_RESULT_BYTES:
                raise errors.JsonPathResultTooLarge(MAX_RESULT_BYTES)
            parts.append(text)
        return "[" + ",".join(parts) + "]"
    except _OverBudget:
        raise errors.JsonPathTooCostly() from None
    except RecursionError:
        raise errors.JsonPathTooDeep() from None
    finally:
        _budget.reset(token)
