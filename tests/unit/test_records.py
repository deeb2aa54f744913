import pytest
from binstore.errors import BlankBin, InvalidJson, RecordTooLarge
from binstore.plans import LARGEST_RECORD_BYTES
from binstore.records import parse_record


def test_record_is_stored_compact_and_equal_in_value():
    record = parse_record(b'{ "a" : [1, 2.50, "\\u00e9"],\n "b": null }')
    assert record.json_text == '{"a":[1,2.5,"é"],"b":null}'
    assert record.value == {"a": [1, 2.5, "é"], "b": None}


def test_oversized_body_is_refused_before_parsing():
    # Not even JSON: the size alone refuses it.
    with pytest.raises(RecordTooLarge):
        parse_record(b"x" * (LARGEST_RECORD_BYTES + 1))


@pytest.mark.parametrize("body", [b"", b" ", b"\n\t\r "])
def test_blank(body):
    with pytest.raises(BlankBin):
        parse_record(body)


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b"-Infinity", b"1e999", b'"\xc3"', b"{", b"[1,]"])
def test_not_json(body):
    with pytest.raises(InvalidJson):
        parse_record(body)
