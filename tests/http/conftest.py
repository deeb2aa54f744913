"""The local stack as `make run` starts it, on free ports, stopped after the tests."""

import pytest
from local.stack import StackDidNotStart, running_stack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    try:
        with running_stack(tmp_path_factory.mktemp("local-stack") / "run.log") as stack:
            yield stack
    except StackDidNotStart as error:
        pytest.fail(str(error))
