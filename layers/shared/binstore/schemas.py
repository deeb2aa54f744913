"""Schema docs: JSON Schema validation of records in a collection.

A schema doc is written by its owner, and so by an attacker: validating with it must never open a
URL or a file. jsonschema, left to itself, still fetches a remote `$ref` (a deprecated default,
with urlopen and no timeout). So every validator here is built on a `referencing.Registry` that
refuses to retrieve anything: a `$ref` resolves only inside the schema doc itself (`#/...`, its
anchors, and the `$id`s it defines). A schema doc is checked for that when it is created or
changed; one stored before the rule that still points outside answers a 4xx on a write, never a
fetch.

Its CPU is bounded too: a `pattern` such as `(a+)+$` backtracks for hours on a 40-character string,
and `uniqueItems` over a large array of objects is quadratic. Validating a record, or checking a
schema doc, may take at most MAX_VALIDATION_SECONDS of CPU time (each request validates once); past
it the request is refused (400). The bound is a profiling interval timer (SIGPROF, the process's CPU
time, so a busy machine does not refuse what an idle one accepts): Python's regex engine checks for
signals as it runs, so the timer interrupts even a regex. Signals reach the main thread only, where
Lambda (and `make run`'s workers) run the handler; called from another thread, validation is
unbounded.

Anything jsonschema raises while applying a doc (a float `multipleOf` against a huge integer, an
invalid regex that draft 4's meta-schema lets through, a `$ref` to something that is not a schema)
means the doc cannot be applied: a 400, never a 500.

jsonschema is imported on first use, not with the module: only records of a collection with a schema
doc are validated, and importing it costs a cold start more than a tenth of its time.
"""

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import urljoin

from binstore.errors import (
    InvalidSchemaDoc,
    SchemaDocRefNotAllowed,
    SchemaDocTooCostly,
    SchemaDocUnresolvable,
    SchemaMismatch,
    SchemaValidationTooCostly,
)
from binstore.records import to_json_text

MAX_VALIDATION_SECONDS = 1.0
_MAX_SHOWN_VALUE = 120
_MAX_SHOWN_MESSAGE = 300  # jsonschema's messages quote the whole value: a 1 MiB string, say
_MAX_SHOWN_REF = 200
# The base URI of a schema doc without an `$id` of its own, as jsonschema's validator takes it: the
# check and the validation resolve every ref alike.
_DOC_URI = ""
# The keywords that name another schema: `$ref` (every draft), `$dynamicRef` (2020-12) and
# `$recursiveRef` (2019-09).
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


class _OutOfTime(Exception):
    pass


def _expire(_signum, _frame):
    raise _OutOfTime()


@contextmanager
def _time_bound(seconds: float):
    """Raise _OutOfTime inside the block once it has used `seconds` of CPU (main thread only).

    Inside another bound, the outer one stands: a schema doc's whole check shares one budget.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getitimer(signal.ITIMER_PROF)[0] > 0:
        yield
        return
    previous = signal.signal(signal.SIGPROF, _expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _refuse_retrieval(uri: str):
    # Registry calls this for any URI the doc does not define itself: never fetch, fail instead.
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)


def _validator_class(schema):
    from jsonschema import Draft7Validator
    from jsonschema.validators import validator_for

    return validator_for(schema, default=Draft7Validator)


@lru_cache(maxsize=128)
def _validator(schema_json: str):
    # Compiled once per container per distinct schema text; a changed schema is a new cache key.
    from referencing import Registry

    schema = json.loads(schema_json)
    return _validator_class(schema)(schema, registry=Registry(retrieve=_refuse_retrieval))


def _shown(value) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (RecursionError, ValueError):
        text = "<nested too deeply to show>"
    return text if len(text) <= _MAX_SHOWN_VALUE else text[: _MAX_SHOWN_VALUE - 3] + "..."


def validate_record(schema_json: str, record) -> None:
    """Raise SchemaMismatch naming the failing key and value, as JSONBin's `key:val`."""
    from jsonschema.exceptions import best_match

    try:
        with _time_bound(MAX_VALIDATION_SECONDS):
            error = best_match(_validator(schema_json).iter_errors(record))
            if error is not None:
                raise _mismatch(error)
    except SchemaMismatch:
        raise
    except _OutOfTime:
        raise SchemaValidationTooCostly(MAX_VALIDATION_SECONDS) from None
    except RecursionError:
        raise SchemaMismatch("$:<nested too deeply to validate>") from None
    except Exception:
        # The doc cannot be applied (see the module's docstring): a ref that resolves nowhere (only
        # a doc stored before refs were checked), a type its draft does not define, an OverflowError
        # from `multipleOf`, an invalid regex, a `$ref` to something that is not a schema...
        raise SchemaDocUnresolvable() from None


def _mismatch(error) -> SchemaMismatch:
    path = list(error.absolute_path)
    message = error.message
    if len(message) > _MAX_SHOWN_MESSAGE:
        message = message[: _MAX_SHOWN_MESSAGE - 3] + "..."
    if error.validator == "required" and isinstance(error.validator_value, list):
        # jsonschema reports a missing property on its parent; name the missing key itself.
        missing = next((name for name in error.validator_value if name not in error.instance), None)
        key = ".".join(str(part) for part in [*path, missing]) if missing else "$"
        return SchemaMismatch(f"{key}:undefined ({message})")
    key = ".".join(str(part) for part in path) or "$"
    return SchemaMismatch(f"{key}:{_shown(error.instance)} ({message})")


def check_schema(schema) -> None:
    """Raise InvalidSchemaDoc unless `schema` is a valid JSON Schema whose refs all resolve inside it."""
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema.get("$schema", ""), str):
        raise InvalidSchemaDoc("$schema must be a string")  # jsonschema would fail on it, not refuse it
    cls = _validator_class(schema)
    try:
        with _time_bound(MAX_VALIDATION_SECONDS):  # one budget for the whole check
            try:
                cls.check_schema(schema)
            except SchemaError as error:
                raise InvalidSchemaDoc(error.message) from None
            _check_references(schema, cls)
            _try_out(schema)
    except (_OutOfTime, SchemaValidationTooCostly):
        raise SchemaDocTooCostly(MAX_VALIDATION_SECONDS) from None


def _try_out(schema) -> None:
    """Validate a few values with the doc, to refuse now a doc that can never validate anything.

    `{"$ref": "#"}` refers to itself without end, and draft 3 takes any string as a `type`: both
    pass the meta-schema, and would refuse every record later.
    """
    schema_json = to_json_text(schema)  # the text it is stored as: the validator compiled here is reused
    samples: tuple[object, ...] = (None, {}, [], "", 0)
    for value in samples:
        try:
            validate_record(schema_json, value)
        except SchemaDocUnresolvable:
            raise InvalidSchemaDoc(
                "it cannot be applied to records (a type its draft does not define, a $ref "
                "to something that is not a schema, ...)"
            ) from None
        except SchemaMismatch as mismatch:
            if mismatch.message.endswith("$:<nested too deeply to validate>"):
                raise InvalidSchemaDoc("it refers to itself without end") from None


def _references(resource, base_uri: str) -> Iterator[tuple[str, str]]:
    """Every reference in the schema, with the base URI it resolves against (its nearest `$id`)."""
    base_uri = urljoin(base_uri, resource.id() or "")
    contents = resource.contents
    if isinstance(contents, dict):
        for keyword in _REFERENCE_KEYWORDS:
            if keyword in contents:
                yield contents[keyword], base_uri
    for subresource in resource.subresources():
        yield from _references(subresource, base_uri)


def _check_references(schema, cls) -> None:
    from referencing import Registry, Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import specification_with

    specification = specification_with(cls.META_SCHEMA["$schema"])
    resource = Resource(contents=schema, specification=specification)
    # Only the doc itself is in the registry (crawled for its `$id`s and anchors); anything else
    # is refused by _refuse_retrieval, never fetched. A ref may point into a part of the doc that
    # is not a subschema (`#/const`): what it points at is then walked too, once.
    to_walk, walked = [(resource, _DOC_URI)], set()
    try:
        registry = Registry(retrieve=_refuse_retrieval).with_resource(_DOC_URI, resource).crawl()
        while to_walk:
            current, base = to_walk.pop()
            if id(current.contents) in walked:
                continue
            walked.add(id(current.contents))
            for reference, base_uri in list(_references(current, base)):
                if not isinstance(reference, str):
                    raise InvalidSchemaDoc(f"a reference must be a string, not {_shown(reference)}")
                try:
                    resolved = registry.resolver(base_uri).lookup(reference)
                except (Unresolvable, ValueError, KeyError, TypeError, LookupError):
                    # ValueError and friends: a malformed URI or pointer, which resolves nowhere.
                    shown = reference if len(reference) <= _MAX_SHOWN_REF else reference[: _MAX_SHOWN_REF - 3] + "..."
                    raise SchemaDocRefNotAllowed(json.dumps(shown, ensure_ascii=True)) from None
                # The base URI the target resolves its own refs against: referencing keeps it on the
                # resolver it returns, with no public name (pinned in requirements.txt).
                to_walk.append((specification.create_resource(resolved.contents), resolved.resolver._base_uri))
    except (InvalidSchemaDoc, SchemaDocRefNotAllowed):
        raise
    except (ValueError, TypeError, AttributeError, KeyError, LookupError):
        # An `$id` that is not a URI (`http://[::1`), or a subschema where the draft expects
        # another shape (draft 3's `extends` as an object): referencing cannot place it.
        raise InvalidSchemaDoc("its $ids and subschemas cannot be resolved as this draft defines them") from None
