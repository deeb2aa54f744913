"""Schema docs: JSON Schema validation of records in a collection.

jsonschema is imported on first use, not with the module: only records of a collection with a schema
doc are validated, and importing it costs a cold start more than a tenth of its time.
"""

import json
from functools import lru_cache

from binstore.errors import InvalidSchemaDoc, SchemaMismatch

_MAX_SHOWN_VALUE = 120


@lru_cache(maxsize=128)
def _validator(schema_json: str):
    # Compiled once per container per distinct schema text; a changed schema is a new cache key.
    from jsonschema import Draft7Validator
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    cls = validator_for(schema, default=Draft7Validator)
    return cls(schema)


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _MAX_SHOWN_VALUE else text[: _MAX_SHOWN_VALUE - 3] + "..."


def validate_record(schema_json: str, record) -> None:
    """Raise SchemaMismatch naming the failing key and value, as JSONBin's `key:val`."""
    from jsonschema.exceptions import best_match

    try:
        error = best_match(_validator(schema_json).iter_errors(record))
    except RecursionError:
        raise SchemaMismatch("$:<nested too deeply to validate>") from None
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
    """Raise InvalidSchemaDoc if `schema` is not itself a valid JSON Schema."""
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        validator_for(schema, default=Draft7Validator).check_schema(schema)
    except SchemaError as error:
        raise InvalidSchemaDoc(error.message) from None
