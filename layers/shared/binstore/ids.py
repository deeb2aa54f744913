"""Identifiers: bins, accounts, collections and schema docs share JSONBin's ObjectId form."""

import re
import secrets

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def new_id() -> str:
    # Random rather than time-ordered (as a Mongo ObjectId is), so that ids cannot be guessed.
    return secrets.token_hex(12)


def is_object_id(value: str) -> bool:
    return _OBJECT_ID.fullmatch(value) is not None
