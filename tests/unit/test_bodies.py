"""binstore.storage.bodies: where a bin's record bodies live, `records/<bin id>/<uuid>.json`."""

from binstore.storage.bodies import PREFIX, bin_of, bin_prefix, new_object_key

BIN = "0123456789abcdef01234567"


def test_a_new_body_key_is_under_its_bins_prefix_and_names_its_bin():
    key = new_object_key(BIN)
    assert bin_prefix(BIN) == f"records/{BIN}/" and PREFIX == "records/"
    assert key.startswith(bin_prefix(BIN)) and key.endswith(".json")
    assert bin_of(key) == BIN
    assert "/" not in key.removeprefix(bin_prefix(BIN))  # one level: a listing of the prefix finds it


def test_body_keys_are_never_reused():
    keys = {new_object_key(BIN) for _ in range(1000)}
    assert len(keys) == 1000


def test_a_bins_prefix_holds_no_other_bins_bodies():
    assert not new_object_key(BIN + "0").startswith(bin_prefix(BIN))
    assert not new_object_key(BIN).startswith(bin_prefix(BIN[:-1]))


def test_bin_of_any_key_in_the_layout():
    assert bin_of(f"records/{BIN}/left-by-a-dead-function.json") == BIN
    assert bin_of(f"records/{BIN}/a/b.json") == BIN
