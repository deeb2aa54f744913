"""Any JSON document a plan can store comes back exactly as it went in (property-based, hypothesis);
what JSON cannot carry is refused, never stored and never returned as invalid JSON."""

import json
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.events import api_event, update_event
from tests.support.lambda_context import lambda_context
from tests.support.store import master, stored_record

KB = 1024


def strict_loads(text: str):
    """Parse as RFC 8259 JSON: NaN and Infinity are not JSON; key order is kept."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse, object_pairs_hook=lambda pairs: pairs)


def ordered(value):
    """The value with every object as its list of (key, value) pairs: equality then checks key order."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def as_pairs(value):
    if isinstance(value, list) and value and all(isinstance(p, tuple) for p in value):
        return [(key, as_pairs(item)) for key, item in value]
    if isinstance(value, list):
        return [as_pairs(item) for item in value]
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10 ** 40), max_value=10 ** 40)  # far beyond 64 bits
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.1, 1e-7, 5e-324, 1.7976931348623157e308, -0.0, 1e22, 123456789.123456789])
    | st.text()  # any unicode: escapes, emoji, control characters, quotes, backslashes
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
).filter(lambda document: document != {})  # `{}` is a blank bin, refused (as JSONBin does)


@pytest.fixture
def pro_bin(pro):
    return pro, pro.create_bin({"n": 0})


def round_trip(invoke, account, bin_id: str, body: bytes):
    updated = invoke(update_event(bin_id, body, master(account)))
    read = invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(account)))
    return updated, read


def raw_invoke(event):
    import api_handler as app

    return app.lambda_handler(event, lambda_context())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_any_document_round_trips_exactly(invoke, pro_bin, document, indent, ascii_only):
    account, bin_id = pro_bin
    body = json.dumps(document, indent=indent, ensure_ascii=ascii_only).encode("utf-8")

    update = raw_invoke(update_event(bin_id, body, master(account)))
    read = raw_invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(account)))

    assert update["statusCode"] == read["statusCode"] == 200
    for response in (update, read):
        record = strict_loads(response["body"])[0][1]  # ("record", ...) comes first
        assert as_pairs(record) == ordered(document)
    # And what the record holds is the same value, number for number (0.1 stays 0.1, ints stay ints).
    stored = json.loads(read["body"])["record"]
    assert json.dumps(stored) == json.dumps(document)


@pytest.mark.parametrize("text, value", [
    ('{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),
    ('[0.1, 1e-7, 1E+2, -0.0, 2.5e-308]', [0.1, 1e-07, 100.0, -0.0, 2.5e-308]),
    ('"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\/"', 'é😀\n\t"\\/'),
    ('{"b": 1, "a": 2, "c": {"z": 1, "y": 2}}', {"b": 1, "a": 2, "c": {"z": 1, "y": 2}}),
    ('{"lone": "\\ud800"}', {"lone": "\ud800"}),  # a lone surrogate: valid JSON text, not valid UTF-8
    ('{"z": 1, "a": 2, "m": 3}', {"z": 1, "a": 2, "m": 3}),
    *[(json.dumps(value), value) for value in [
        [1, 2, 3], "text", 42, True, None, {"unicode": "héllo ☃ 𝄞", "escape": "a\"b\\c\n"},
        {"big": 12345678901234567890123456789, "small": 1e-7, "tenth": 0.1, "neg": -0.0}]],
])
def test_edge_values_round_trip(invoke, store, pro_bin, text, value):
    account, bin_id = pro_bin
    updated, read = round_trip(invoke, account, bin_id, text.encode())
    assert updated[0] == read[0] == 200
    assert ordered(read[2]["record"]) == ordered(value)
    assert ordered(updated[2]["record"]) == ordered(value)  # key order kept in the answer too
    assert stored_record(store, bin_id) == value


def test_deep_but_parseable_nesting_round_trips(invoke, pro_bin):
    account, bin_id = pro_bin
    depth = 500
    body = ("[" * depth + '{"deep": true}' + "]" * depth).encode()
    updated, read = round_trip(invoke, account, bin_id, body)
    assert updated[0] == read[0] == 200
    value = read[2]["record"]
    for _ in range(depth):
        value = value[0]
    assert value == {"deep": True}


@pytest.mark.parametrize("body, detail", [
    (b"{", None),
    (b'{"a": 1', None),
    (b"{'a': 1}", None),
    (b'{"a": 1} trailing', None),
    (b'{"a": NaN}', None),
    (b"[NaN]", None),
    (b'{"a": Infinity}', None),
    (b"[Infinity]", None),
    (b"[-Infinity]", None),
    (b'{"n": 1e400}', "out of range"),
    (b'{"n": -1e400}', "out of range"),
    (b"9" * 5000, "an integer has more than 4300 digits"),
    (b'{"n": 1' + b"0" * 5000 + b"}", "an integer has more than 4300 digits"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_what_json_cannot_carry_is_a_clear_400_before_any_aws_call_and_not_stored(invoke, pro_bin, aws_calls, body,
                                                                                  detail):
    account, bin_id = pro_bin
    aws_calls.clear()
    status, _, answer = invoke(update_event(bin_id, body, master(account)))

    if detail is None:  # malformed: JSONBin's words
        assert (status, answer) == (400, {"message": "Invalid JSON. Please try again"})
    else:  # valid JSON this service cannot store: it says why
        assert status == 400 and answer["message"].startswith("Bin must be valid JSON")
        assert detail in answer["message"] and "sys." not in answer["message"]  # the user's terms, not Python's
    assert aws_calls == []
    read = raw_invoke(api_event("GET", f"/v3/b/{bin_id}", headers=master(account)))
    assert strict_loads(read["body"])[0][1] == [("n", 0)]


def test_body_over_every_plans_limit_is_refused_before_it_is_parsed(invoke, pro_bin, monkeypatch):
    import binstore.records as records

    account, bin_id = pro_bin
    parsed = []
    monkeypatch.setattr(records, "json", types.SimpleNamespace(
        loads=lambda *args, **kwargs: parsed.append(1), dumps=json.dumps))
    body = b"[" + b"1," * (600 * KB) + b"1]"  # 1.2 MB: over the largest plan (1 MB)

    status, _, answer = invoke(update_event(bin_id, body, master(account)))

    assert (status, answer) == (403, {"message": "Records over 1mb cannot be stored on any plan"})
    assert parsed == []
