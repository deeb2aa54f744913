"""Records: the JSON documents kept in bins.

A body is checked from the request alone (blank, larger than any plan allows, not UTF-8, not JSON)
before anything is read from AWS. It is stored as the compact re-serialisation of what was parsed,
so what is stored is always valid JSON, whatever whitespace or escapes the client sent.
"""

import functools
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from binstore.errors import BlankBin, InvalidJson, RecordTooLarge
from binstore.plans import LARGEST_RECORD_BYTES


@dataclass(frozen=True)
class Record:
    value: Any
    json_text: str  # compact JSON, what the response embeds
    json_bytes: bytes  # the same, UTF-8 encoded: what is stored


class RequestBody:
    """A request's body as sent, and the record in it: parsed on first use, then kept.

    The use case parses it, in its own order of checks; the HTTP layer reads the same parse back
    (or, replaying an idempotent request, parses it then), so no request parses its body twice.
    """

    def __init__(self, raw: bytes):
        self.raw = raw

    @functools.cached_property
    def record(self) -> "Record":
        record = parse_record(self.raw)
        if record.value == {}:
            raise BlankBin()  # JSONBin's answer to `{}`, on create and update alike
        return record


def _reject_constant(name: str):
    # Python's json accepts NaN, Infinity and -Infinity; JSON (RFC 8259) does not.
    raise InvalidJson()  # NaN, Infinity: JavaScript's, not JSON's


def _checked_float(literal: str) -> float:
    """A JSON number as a float, refusing one that is not zero but too small for a double.

    `1e-400` would otherwise be stored as 0.0 without a word; it is refused like `1e400`.
    """
    value = float(literal)
    if value == 0.0 and any(digit in "123456789" for digit in literal.lower().split("e", 1)[0]):
        raise InvalidJson("Bin must be valid JSON: a number is out of range")
    return value


# A number that rounds to zero has a negative exponent after a digit, or hundreds of zeros after its
# point (the smallest double is about 4.9e-324). Only then is the text parsed again with a check on
# every float: a hook on every float would slow down every record.
_MAY_UNDERFLOW = re.compile(r"[0-9][eE]-|0{300}")


def _may_underflow(text: str) -> bool:
    return _MAY_UNDERFLOW.search(text) is not None


def _compact_json(value: Any) -> tuple[str, bytes]:
    """Compact JSON text of `value`, and its UTF-8 encoding (made once: it is what gets stored).

    Non-ASCII characters stay as they are (as JSONBin writes them), unless the value holds a lone
    surrogate (JSON text may escape one, `"\\ud800"`, and UTF-8 cannot carry it): then the text
    escapes every non-ASCII character instead, which is the same value in valid UTF-8.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        return text, text.encode("ascii")


def to_json_text(value: Any) -> str:
    """Compact JSON text of `value`, always encodable as UTF-8."""
    return _compact_json(value)[0]


def check_size(body: bytes) -> None:
    """Refuse, before parsing, a body no plan could store."""
    if len(body) > LARGEST_RECORD_BYTES:
        raise RecordTooLarge()


def parse_record(body: bytes) -> Record:
    if not body.strip():
        raise BlankBin()
    check_size(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson() from None
    try:
        # Floats are parsed by the C scanner (a parse_float hook would call Python for each one); a
        # number too large for a float becomes inf, which the serialisation refuses (allow_nan=False).
        value = json.loads(text, parse_constant=_reject_constant)
        if _may_underflow(text):
            value = json.loads(text, parse_constant=_reject_constant, parse_float=_checked_float)
        json_text, json_bytes = _compact_json(value)
    except json.JSONDecodeError:
        raise InvalidJson() from None  # JSONBin's words, which do not say where
    except RecursionError:
        raise InvalidJson("Bin must be valid JSON: it is nested too deeply") from None
    except ValueError as error:
        if "Out of range float" in str(error):  # json.dumps's words for inf, from a number like 1e400
            raise InvalidJson("Bin must be valid JSON: a number is out of range") from None
        # An integer longer than Python converts (sys.get_int_max_str_digits): said in the user's
        # terms, not Python's (whose message names a function to call).
        raise InvalidJson(
            f"Bin must be valid JSON: an integer has more than {sys.get_int_max_str_digits()} digits"
        ) from None
    return Record(value, json_text, json_bytes)
