from binstore.keys import generate_key, hash_secret, key_matches, parse_key

ACCOUNT = "0123456789abcdef01234567"


def test_generated_key_parses_back_and_matches_its_hash():
    key = generate_key(ACCOUNT)
    parsed = parse_key(key.plaintext)
    assert parsed.account_id == ACCOUNT and parsed.key_id == key.key_id
    assert key_matches(parsed, ACCOUNT, key.secret_hash)
    assert parsed.secret not in key.secret_hash  # the secret itself is never what is stored
    assert key.secret_hash == hash_secret(parsed.secret)


def test_secret_carries_256_random_bits():
    keys = {generate_key(ACCOUNT).plaintext for _ in range(100)}
    assert len(keys) == 100
    assert len(parse_key(keys.pop()).secret) == 43  # 32 bytes, base64url


def test_key_does_not_match_another_account_or_secret():
    key = generate_key(ACCOUNT)
    parsed = parse_key(key.plaintext)
    assert not key_matches(parsed, "f" * 24, key.secret_hash)
    assert not key_matches(parsed, ACCOUNT, hash_secret("another secret"))


def test_malformed_keys_do_not_parse():
    key = generate_key(ACCOUNT).plaintext
    for bad in ["", "x", key + "x", key.replace(".", "-"), key.upper(), "$2a$10$" + "a" * 53]:
        assert parse_key(bad) is None
