"""API keys: generated once, shown once, stored only as a hash, checked in constant time.

A key reads `<accountId>.<keyId>.<secret>`. The account id lets one batched read fetch the key, the
account and the bin together; the key id names the stored hash; the secret (256 random bits) is
never stored. A fast hash (SHA-256) suffices: a slow password hash protects guessable secrets, and
256 random bits cannot be guessed.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from binstore.ids import is_object_id

_KEY = re.compile(r"(?P<account>[0-9a-f]{24})\.(?P<key>[0-9a-f]{16})\.(?P<secret>[A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class ParsedKey:
    account_id: str
    key_id: str
    secret: str


@dataclass(frozen=True)
class NewKey:
    """A key as it is made: `plaintext` goes to the user once; `secret_hash` is what is stored."""

    key_id: str
    plaintext: str
    secret_hash: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def generate_key(account_id: str) -> NewKey:
    if not is_object_id(account_id):
        raise ValueError("account id must be 24 lowercase hex characters")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"{account_id}.{key_id}.{secret}", hash_secret(secret))


def parse_key(value: str) -> ParsedKey | None:
    """The parts of a well-formed key, or None: a malformed key needs no lookup to be refused."""
    match = _KEY.fullmatch(value.strip())
    if match is None:
        return None
    return ParsedKey(match["account"], match["key"], match["secret"])


def key_matches(parsed: ParsedKey, stored_account_id: str, stored_secret_hash: str) -> bool:
    # Both comparisons always run, and each in constant time, so timing says nothing of which failed.
    account_ok = hmac.compare_digest(parsed.account_id, stored_account_id)
    secret_ok = hmac.compare_digest(hash_secret(parsed.secret), stored_secret_hash)
    return account_ok & secret_ok


__all__ = ["NewKey", "ParsedKey", "generate_key", "hash_secret", "key_matches", "parse_key"]
