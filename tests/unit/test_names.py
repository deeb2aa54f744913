"""binstore.names: the names callers give bins, collections and schema docs."""

import pytest
from binstore import errors
from binstore.names import MAX_BIN_NAME_LENGTH, check_bin_name, is_text, required_name


@pytest.mark.parametrize("value, text", [("plain", True), ("é ☃ 𝄞", True), ("", True), ("a\ud800", False),
                                         ("\udfff", False)])
def test_is_text_unless_a_lone_surrogate(value, text):
    assert is_text(value) is text


@pytest.mark.parametrize("name", ["a", "x" * 127, "x" * 128, " padded ", "Game saves"],
                         ids=["1", "127", "128", "padded", "words"])
def test_a_bin_name_of_1_to_128_characters_is_kept_as_given(name):
    assert MAX_BIN_NAME_LENGTH == 128
    assert check_bin_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 129, "   ", "\t\n", "a\ud800"],
                         ids=["empty", "129", "blank", "whitespace", "lone surrogate"])
def test_a_bin_name_out_of_bounds_blank_or_not_text_is_refused(name):
    with pytest.raises(errors.InvalidBinName) as refused:
        check_bin_name(name)
    assert refused.value.message == "X-Bin-Name must be between 1 and 128 characters"


MISSING, TOO_LONG = errors.CollectionNameRequired(), errors.CollectionNameTooLong()


@pytest.mark.parametrize("name", [None, "", "  ", " " * 40, "a\ud800"],
                         ids=["absent", "empty", "blank", "blank and too long", "lone surrogate"])
def test_a_required_name_missing_or_blank_is_the_missing_refusal(name):
    with pytest.raises(errors.CollectionNameRequired) as refused:
        required_name(name, 32, MISSING, TOO_LONG)
    assert refused.value is MISSING


def test_a_required_name_over_the_maximum_is_the_too_long_refusal():
    with pytest.raises(errors.CollectionNameTooLong) as refused:
        required_name("n" * 33, 32, MISSING, TOO_LONG)
    assert refused.value is TOO_LONG


@pytest.mark.parametrize("name", ["n", "n" * 31, "n" * 32, " People "], ids=["1", "31", "exactly max", "padded"])
def test_a_required_name_up_to_the_maximum_is_kept_as_given(name):
    assert required_name(name, 32, MISSING, TOO_LONG) == name
