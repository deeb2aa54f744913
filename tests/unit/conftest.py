"""Unit tests run without AWS: no moto, no Store, no handler. A unit test asking for one of the
fixtures that make AWS (tests/conftest.py) fails, naming this rule."""

import pytest


def _no_aws(name: str):
    @pytest.fixture(name=name)
    def refuse():
        pytest.fail(f"unit tests use no AWS: the `{name}` fixture belongs in tests/handler/")

    return refuse


store = _no_aws("store")
invoke = _no_aws("invoke")
pro = _no_aws("pro")
free = _no_aws("free")
aws_calls = _no_aws("aws_calls")
