"""binstore.jsonpaths: the supported subset, checked before any read, and the bounds on an evaluation
(steps, work, time, answer size), on small records with the module's limits made small."""

import pytest
from binstore import errors, jsonpaths
from binstore.jsonpaths import compile_path, select_json


@pytest.fixture(autouse=True)
def fresh_compilations():
    """compile_path caches what it compiled: each test compiles under its own limits."""
    compile_path.cache_clear()
    yield
    compile_path.cache_clear()


def select(expression: str, record_json_text: str) -> str:
    return select_json(compile_path(expression), record_json_text)


RECORD = '{"users":[{"name":"Ada","age":36},{"name":"Alan","age":41}],"flags":{"a":true,"b":false}}'


@pytest.mark.parametrize("expression, answer", [
    ("$.users[*].name", '["Ada","Alan"]'),
    ("$..name", '["Ada","Alan"]'),
    ("$.users[?(@.age > 40)].name", '["Alan"]'),
    ("$.users[?(age > 40)].name", '["Alan"]'),  # a bare name in a filter is a member of @
    ("$.users[?(@.name == 'Ada')].age", "[36]"),
    ("$.users[?(@.age >= 36 && @.name != 'Ada')].age", "[41]"),
    ("$.users[?(!@.missing)].age", "[36,41]"),
    ("$.users[-1:].name", '["Alan"]'),
    ("$['flags']['a','b']", "[true,false]"),
    ("users[0].name", '["Ada"]'),
    ("$.nothing", "[]"),
])
def test_the_subset_selects_in_document_order(expression, answer):
    assert select(expression, RECORD) == answer


@pytest.mark.parametrize("expression, what", [
    ("$..users[?(@.name =~ '(a+)+$')]", "the regex operator =~"),
    ("$.f * 10", "arithmetic (+ - * /)"),
    ("$..a..b", "more than one recursive descent (..)"),
    ("$.a.`len`", "`len`"),
    ("$.a.`sub(/(a+)+$/, x)`", "`sub`"),
    ("$.a.`parent`", "`parent`"),
    ("$.a where $.b", "where"),
    ("$.a wherenot $.b", "wherenot"),
    ("@.a", "@ outside a filter"),
    ("$.a[\\age]", "sorting"),
    ("$[?(@..age)]", "a filter that is not a member of @ (such as @.price)"),
    ("$[?(@.a[*] == 1)]", "a filter that is not a member of @ (such as @.price)"),
    ("$[?(@['a','b'] == 1)]", "a filter that is not a member of @ (such as @.price)"),
    ("$[?(@[0,1] == 1)]", "a filter that is not a member of @ (such as @.price)"),
    ("$[?(@.a = 1)]", "the operator ="),
    ("$[?(@.age == $.x)]", "a comparison with anything but a string, number, true, false or null"),
    ("$[?(@.a == @.b)]", "a comparison with anything but a string, number, true, false or null"),
    ("$.a | $.b", "deprecated syntax (an unquoted word as a string, & or |)"),
    ("$[?(@.age > NaN)]", "deprecated syntax (an unquoted word as a string, & or |)"),
    ("$[?(@.age > 1 & @.age < 30)]", "deprecated syntax (an unquoted word as a string, & or |)"),
])
def test_an_operator_outside_the_subset_is_refused_by_name(expression, what):
    with pytest.raises(errors.UnsupportedJsonPath) as refused:
        compile_path(expression)
    assert refused.value.message.startswith(f"X-JSON-Path uses {what}, which is not supported.")


def test_filters_the_parser_does_not_make_today_are_refused_not_applied():
    classes = jsonpaths._classes()
    with pytest.raises(errors.UnsupportedJsonPath, match="^X-JSON-Path uses this filter expression,"):
        jsonpaths._check_filter(object(), classes)
    empty = object.__new__(classes.Filter)  # Filter([]) itself is deprecated in jsonpath-ng
    empty.expressions = []
    with pytest.raises(errors.UnsupportedJsonPath, match="^X-JSON-Path uses an empty filter,"):
        jsonpaths._check(empty, classes, [], [])


def test_an_expression_too_deep_to_check_is_invalid(monkeypatch):
    def too_deep(*_):
        raise RecursionError()

    monkeypatch.setattr(jsonpaths, "_check", too_deep)
    with pytest.raises(errors.InvalidJsonPath):
        compile_path("$.a")


@pytest.mark.parametrize("expression", ["", " ", "$[", "'", "$.`split(,)`", "$[?()]", "$..users[(@.length-1)]"])
def test_an_expression_that_does_not_parse_is_invalid(expression):
    with pytest.raises(errors.InvalidJsonPath):
        compile_path(expression)


def test_an_expression_of_the_maximum_length_compiles_and_one_longer_is_invalid():
    at_most = "$['" + "a" * (jsonpaths.MAX_EXPRESSION_LENGTH - 5) + "']"
    assert len(at_most) == jsonpaths.MAX_EXPRESSION_LENGTH == 1000
    assert compile_path(at_most).expression == at_most
    with pytest.raises(errors.InvalidJsonPath):
        compile_path(at_most[:-2] + "a']")


def test_the_step_limit_counts_every_node(monkeypatch):
    # $.a.b is five steps: ($.a).b, then $.a, $, a and b.
    monkeypatch.setattr(jsonpaths, "MAX_STEPS", 5)
    assert compile_path("$.a.b").expression == "$.a.b"
    compile_path.cache_clear()
    monkeypatch.setattr(jsonpaths, "MAX_STEPS", 4)
    with pytest.raises(errors.UnsupportedJsonPath) as refused:
        compile_path("$.a.b")
    assert refused.value.message.startswith("X-JSON-Path uses more than 4 steps")


def test_the_step_limit_is_100():
    assert jsonpaths.MAX_STEPS == 100
    compile_path("$" + ".a" * 49)  # 99 steps
    with pytest.raises(errors.UnsupportedJsonPath, match="more than 100 steps"):
        compile_path("$" + ".a" * 50)


def test_one_recursive_descent_is_allowed():
    assert select("$..age", RECORD) == "[36,41]"


# Work, time and answer size: bounded per evaluation

def work_of(expression: str, record_json_text: str, monkeypatch) -> int:
    """The work units `expression` spends on the record, as the budget counts them."""
    spent = []
    original = jsonpaths._Budget.spend
    monkeypatch.setattr(jsonpaths._Budget, "spend", lambda budget, amount: (spent.append(amount),
                                                                            original(budget, amount))[1])
    select(expression, record_json_text)
    monkeypatch.setattr(jsonpaths._Budget, "spend", original)
    compile_path.cache_clear()
    return sum(spent)


def test_each_step_counts_what_it_produced_and_one_more(monkeypatch):
    """$ produces the record (1 + 1), [*] its 20 values (20 + 1); the child joining them counts nothing."""
    assert work_of("$[*]", "[" + ",".join(str(n) for n in range(20)) + "]", monkeypatch) == 23


def test_an_evaluation_may_spend_exactly_the_work_bound_and_no_more(monkeypatch):
    record = "[" + ",".join(str(n) for n in range(20)) + "]"
    work = work_of("$[*]", record, monkeypatch)
    assert work > 20  # every match counts
    monkeypatch.setattr(jsonpaths, "MAX_WORK", work)
    assert select("$[*]", record) == record
    monkeypatch.setattr(jsonpaths, "MAX_WORK", work - 1)
    with pytest.raises(errors.JsonPathTooCostly) as refused:
        select("$[*]", record)
    assert refused.value.message == ("X-JSON-Path needs more work on this record than one read may take: "
                                     "narrow the expression")


def test_unions_multiplied_by_each_other_run_out_of_work(monkeypatch):
    monkeypatch.setattr(jsonpaths, "MAX_WORK", 10_000)
    record = "[" * 8 + "1" + "]" * 8
    assert select("$" + "[0,0]" * 8, record) == "[" + ",".join(["1"] * 256) + "]"
    with pytest.raises(errors.JsonPathTooCostly):
        select("$" + "[0,0,0,0,0,0,0,0,0,0]" * 8, record)  # 10**8 matches, were nothing to stop it


def test_the_time_bound_stops_what_the_work_count_lets_through(monkeypatch):
    monkeypatch.setattr(jsonpaths, "MAX_SECONDS", -1.0)  # past the deadline at the first step
    with pytest.raises(errors.JsonPathTooCostly):
        select("$.users", RECORD)
    monkeypatch.setattr(jsonpaths, "MAX_SECONDS", 60.0)
    assert select("$.users[0].age", RECORD) == "[36]"


def test_a_refused_evaluation_leaves_the_next_one_its_whole_budget(monkeypatch):
    record = "[" + ",".join(str(n) for n in range(20)) + "]"
    monkeypatch.setattr(jsonpaths, "MAX_WORK", work_of("$[*]", record, monkeypatch))
    with pytest.raises(errors.JsonPathTooCostly):
        select("$[*][*]", "[" + ",".join([record] * 3) + "]")
    assert select("$[*]", record) == record


@pytest.mark.parametrize("record, expression", [('["abc","de"]', "$[*]"), ('{"a":"éé"}', "$.a")],
                         ids=["ascii", "counted in UTF-8 bytes"])
def test_an_answer_up_to_the_size_bound_is_given_and_one_over_refused(monkeypatch, record, expression):
    answer = select(expression, record)
    # The bound counts the brackets and each match with its separator: one byte more than the answer.
    bound = len(answer.encode("utf-8")) + 1
    monkeypatch.setattr(jsonpaths, "MAX_RESULT_BYTES", bound)
    assert select(expression, record) == answer
    monkeypatch.setattr(jsonpaths, "MAX_RESULT_BYTES", bound - 2)
    with pytest.raises(errors.JsonPathResultTooLarge):
        select(expression, record)


def test_the_answer_bound_is_the_largest_record_and_named_in_kb():
    assert jsonpaths.MAX_RESULT_BYTES == 1024 * 1024
    assert errors.JsonPathResultTooLarge(jsonpaths.MAX_RESULT_BYTES).message == (
        "X-JSON-Path selects more than 1024kb of this record: narrow the expression")


def test_an_expression_too_deep_for_the_interpreter_is_refused_not_crashed():
    class TooDeep:
        def find(self, _):
            raise RecursionError()

    path = jsonpaths.JsonPath("$", TooDeep())
    with pytest.raises(errors.JsonPathTooDeep):
        jsonpaths.select_json(path, "[1]")


def test_the_bounds_are_the_documented_ones():
    assert (jsonpaths.MAX_WORK, jsonpaths.MAX_SECONDS, jsonpaths.MAX_DESCENTS) == (1_000_000, 3.0, 1)
