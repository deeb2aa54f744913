"""binstore.storage.changes: which body a change to a bin left unreferenced (BodyCleanupFunction deletes it)."""

import pytest
from binstore.storage.changes import unreferenced_body


@pytest.mark.parametrize("old, new, expected", [
    ({"objectKey": "a", "versionCount": 0}, {"objectKey": "b", "versionCount": 0}, "a"),
    ({"objectKey": "a", "versionCount": 3}, {"objectKey": "b", "versionCount": 4}, None),
    ({"objectKey": "a", "versionCount": 0}, {"objectKey": "a", "versionCount": 0}, None),
    (None, {"objectKey": "b"}, None),
    ({"objectKey": "a"}, None, None),
    ({"objectKey": "a"}, {"objectKey": "b"}, "a"),  # no versionCount on either: none kept
    ({"versionCount": 0}, {"objectKey": "b", "versionCount": 0}, None),  # no body before
])
def test_which_body_a_change_left_unreferenced(old, new, expected):
    assert unreferenced_body(old, new) == expected
