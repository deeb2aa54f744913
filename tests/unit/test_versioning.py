import pytest
from http_helpers import bool_header as parse_bool_header
from binstore.errors import InvalidHeader, VersioningNotAvailable, VersionLimitReached
from binstore.model import BinMeta
from binstore.updates import _keep_version


def bin_meta(private: bool, version_count: int = 0) -> BinMeta:
    return BinMeta("0" * 24, "1" * 24, private, 1, "records/x", version_count, None, "t", "t")


@pytest.mark.parametrize("private, header, plan_versioning, kept", [
    (True, None, True, False),     # private: off by default
    (True, True, True, True),
    (False, None, True, True),     # public: on by default
    (False, False, True, False),   # the owner turned it off
    (False, None, False, False),   # a free owner's public bin: the plan has no versioning
    (True, False, False, False),
])
def test_when_a_version_is_kept(private, header, plan_versioning, kept):
    assert _keep_version(bin_meta(private), header, plan_versioning) is kept


def test_asking_for_versioning_without_the_plan_is_refused():
    with pytest.raises(VersioningNotAvailable):
        _keep_version(bin_meta(True), True, False)


def test_version_cap():
    with pytest.raises(VersionLimitReached):
        _keep_version(bin_meta(False, 1000), None, True)
    assert _keep_version(bin_meta(False, 999), None, True)


@pytest.mark.parametrize("value, expected", [(None, None), ("true", True), ("FALSE", False), (" True ", True)])
def test_versioning_header(value, expected):
    assert parse_bool_header("X-Bin-Versioning", value) is expected


def test_versioning_header_other_values():
    with pytest.raises(InvalidHeader):
        parse_bool_header("X-Bin-Versioning", "1")
