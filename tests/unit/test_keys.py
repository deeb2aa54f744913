"""binstore.keys: keys made once, stored only as a hash, parsed without a lookup, compared in constant time."""

import base64
import hashlib
import hmac

import pytest
from binstore import keys
from binstore.keys import generate_key, hash_secret, key_matches, parse_key

ACCOUNT = "0123456789abcdef01234567"


def test_generated_key_parses_back_and_matches_its_hash():
    key = generate_key(ACCOUNT)
    parsed = parse_key(key.plaintext)
    assert parsed.account_id == ACCOUNT and parsed.key_id == key.key_id
    assert key.plaintext == f"{ACCOUNT}.{key.key_id}.{parsed.secret}"
    assert key_matches(parsed, ACCOUNT, key.secret_hash)
    assert parsed.secret not in key.secret_hash  # the secret itself is never what is stored
    assert key.secret_hash == hash_secret(parsed.secret)


def test_the_stored_hash_is_sha256_of_the_secret():
    assert hash_secret("secret") == hashlib.sha256(b"secret").hexdigest()
    assert hash_secret("secret") != hash_secret("secreT")


def test_secrets_and_key_ids_carry_256_and_64_random_bits():
    made = [generate_key(ACCOUNT) for _ in range(200)]
    secrets_ = [parse_key(key.plaintext).secret for key in made]
    assert len({key.plaintext for key in made}) == len(made)
    assert len(set(secrets_)) == len(secrets_) and len({key.key_id for key in made}) == len(made)
    for key, secret in zip(made, secrets_, strict=True):
        assert len(secret) == 43  # 32 bytes, base64url
        assert len(base64.urlsafe_b64decode(secret + "=")) * 8 == 256
        assert len(bytes.fromhex(key.key_id)) * 8 == 64


@pytest.mark.parametrize("account_id", ["", "0123456789ABCDEF01234567", "0123456789abcdef0123456", "g" * 24])
def test_a_key_is_made_only_for_an_account_id(account_id):
    with pytest.raises(ValueError):
        generate_key(account_id)


def test_key_does_not_match_another_account_or_secret():
    key = generate_key(ACCOUNT)
    parsed = parse_key(key.plaintext)
    assert not key_matches(parsed, "f" * 24, key.secret_hash)
    assert not key_matches(parsed, ACCOUNT, hash_secret("another secret"))
    assert not key_matches(parsed, "f" * 24, hash_secret("another secret"))


def test_keys_are_compared_in_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    made = generate_key(ACCOUNT)
    wrong = parse_key(made.plaintext[:-1] + ("A" if made.plaintext[-1] != "A" else "B"))

    assert key_matches(wrong, ACCOUNT, made.secret_hash) is False
    # Both the account and the secret's hash went through compare_digest, even though the account matched.
    assert len(compared) == 2


def test_surrounding_whitespace_is_not_part_of_a_key():
    key = generate_key(ACCOUNT)
    assert parse_key(f"  {key.plaintext}\n") == parse_key(key.plaintext)


def test_malformed_keys_do_not_parse():
    key = generate_key(ACCOUNT).plaintext
    account, key_id, secret = key.split(".")
    for bad in ["", "x", key + "x", key[:-1], key.replace(".", "-"), key.upper(), "$2a$10$" + "a" * 53,
                f"{account}.{key_id}.{secret}.x", f"{account}.{key_id[:-1]}.{secret}", f"{account}x.{key_id}.{secret}",
                f"{account}.{key_id}.{secret[:-1]}+"]:
        assert parse_key(bad) is None, bad
