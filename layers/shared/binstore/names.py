"""Names a caller gives bins, collections and schema docs: what JSONBin accepts, and what can be stored."""

from binstore import errors

MAX_BIN_NAME_LENGTH = 128


def is_text(value: str) -> bool:
    """Whether `value` can be stored as text: a lone surrogate (which a JSON escape can make) cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_bin_name(name: str) -> str:
    """A bin's name: 1 to 128 characters, not blank."""
    if not 1 <= len(name) <= MAX_BIN_NAME_LENGTH or not name.strip() or not is_text(name):
        raise errors.InvalidBinName()
    return name


def required_name(
    name: str | None, max_length: int, missing: errors.BinStoreError, too_long: errors.BinStoreError
) -> str:
    """A collection's or schema doc's name: given, not blank, at most `max_length` characters."""
    if name is None or not name.strip() or not is_text(name):
        raise missing
    if len(name) > max_length:
        raise too_long
    return name
