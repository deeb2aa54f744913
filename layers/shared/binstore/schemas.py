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
schema doc, may take at most MAX_VALIDATION_SECONDS of wall time; past it the request is refused
(400). The bound is an interval timer (SIGALRM): Python's regex engine checks for signals as it
runs, so the alarm interrupts even a regex. Signals reach the main thread only, where Lambda (and
`make run`'s workers) run the handler; called from another thread, validation is unbounded.

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

from binstore.errors import (InvalidSchemaDoc, SchemaDocRefNotAllowed, SchemaDocTooCostly, SchemaDocUnresolvable,
                             SchemaMismatch, SchemaValidationTooCostly)

MAX_VALIDATION_SECONDS = 1.0
_MAX_SHOWN_VALUE = 120
_MAX_SHOWN_REF = 200
# The base URI of a schema doc without an `$id` of its own: relative refs resolve against it, and
# nothing outside the doc is named by it.
_DOC_URI = "urn:binstore:schema-doc"
# The keywords that name another schema: `$ref` (every draft), `$dynamicRef` (2020-12) and
# `$recursiveRef` (2019-09).
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


class _OutOfTime(Exception):
    pass


def _expire(_signum, _frame):
    raise _OutOfTime()


@contextmanager
def _time_bound(seconds: float):
    """Raise _OutOfTime inside the block once `seconds` have passed (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
    from jsonschema.exceptions import UnknownType, best_match
    from referencing.exceptions import Unresolvable

    try:
        with _time_bound(MAX_VALIDATION_SECONDS):
            error = best_match(_validator(schema_json).iter_errors(record))
    except _OutOfTime:
        raise SchemaValidationTooCostly(MAX_VALIDATION_SECONDS) from None
    except RecursionError:
        raise SchemaMismatch("$:<nested too deeply to validate>") from None
    except (Unresolvable, UnknownType):
        # A doc stored before refs were checked at creation, or one naming a type its draft does
        # not define (draft 3 lets `type` be any string): it cannot be applied to any record.
        raise SchemaDocUnresolvable() from None
    if error is None:
        return
    path = list(error.absolute_path)
    if error.validator == "required":
        # jsonschema reports a missing property on its parent; name the missing key itself.
        missing = next((name for name in error.validator_value if name not in error.instance), None)
        key = ".".join(str(part) for part in [*path, missing]) if missing else "$"
        raise SchemaMismatch(f"{key}:undefined ({error.message})")
    key = ".".join(str(part) for part in path) or "$"
    raise SchemaMismatch(f"{key}:{_shown(error.instance)} ({error.message})")


def check_schema(schema) -> None:
    """Raise InvalidSchemaDoc unless `schema` is a valid JSON Schema whose refs all resolve inside it."""
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema.get("$schema", ""), str):
        raise InvalidSchemaDoc("$schema must be a string")  # jsonschema would fail on it, not refuse it
    cls = _validator_class(schema)
    try:
        with _time_bound(MAX_VALIDATION_SECONDS):
            cls.check_schema(schema)
    except _OutOfTime:
        raise SchemaDocTooCostly(MAX_VALIDATION_SECONDS) from None
    except SchemaError as error:
        raise InvalidSchemaDoc(error.message) from None
    _check_references(schema, cls)
    _try_out(schema)


def _try_out(schema) -> None:
    """Validate a few values with the doc, to refuse now a doc that can never validate anything.

    `{"$ref": "#"}` refers to itself without end, and draft 3 takes any string as a `type`: both
    pass the meta-schema, and would refuse every record later.
    """
    schema_json = json.dumps(schema, separators=(",", ":"))
    for value in (None, {}, [], "", 0):
        try:
            validate_record(schema_json, value)
        except SchemaDocUnresolvable:
            raise InvalidSchemaDoc("it names a type its draft does not define") from None
        except SchemaValidationTooCostly:
            raise SchemaDocTooCostly(MAX_VALIDATION_SECONDS) from None
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
    try:
        # Only the doc itself is in the registry (crawled for its `$id`s and anchors); anything
        # else is refused by _refuse_retrieval, never fetched.
        registry = Registry(retrieve=_refuse_retrieval).with_resource(_DOC_URI, resource).crawl()
        references = list(_references(resource, _DOC_URI))
    except (ValueError, TypeError, AttributeError, KeyError, LookupError):
        # An `$id` that is not a URI (`http://[::1`), or a subschema where the draft expects
        # another shape (draft 3's `extends` as an object): referencing cannot place it.
        raise InvalidSchemaDoc("its $ids and subschemas cannot be resolved as this draft defines them") from None
    for reference, base_uri in references:
        if not isinstance(reference, str):
            raise InvalidSchemaDoc(f"a reference must be a string, not {_shown(reference)}")
        try:
            registry.resolver(base_uri).lookup(reference)
        except (Unresolvable, ValueError, KeyError, TypeError, LookupError):
            # ValueError and friends: a malformed URI or pointer, which resolves nowhere either.
            shown = reference if len(reference) <= _MAX_SHOWN_REF else reference[: _MAX_SHOWN_REF - 3] + "..."
            raise SchemaDocRefNotAllowed(json.dumps(shown, ensure_ascii=False)) from None
