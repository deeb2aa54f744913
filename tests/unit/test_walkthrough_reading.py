"""How the walkthrough test reads the README: which blocks run, what a command and its answer are,
and what an answer the README shows matches (a walkthrough test that matched anything would pass
on a README that lies)."""

import pytest
from tests.support.walkthrough import ANY, check, commands, expected_value, matches, outputs, script

README = """Intro
```sh
# prose comment
curl -s "$API/v3/b" \\
  -H 'X-Master-Key: k'
# {"record":{"a":1},"metadata":{"id":"<BIN_ID>","createdAt":"2026-11-25T06:00:00.000Z"}}
# prose after the answer
BIN=$(field metadata id < answer.json)
```

```shell
make deploy
```

```json
{"not": "run"}
```

```sh
curl -s "http://127.0.0.1:3000/v3/c" -H "X-Master-Key: $KEY"   # inline remarks are prose
# [{"record":"<COLLECTION_ID>"}, ...]
```
"""


def test_only_sh_blocks_run_and_answers_follow_their_command():
    found = commands(README)
    assert [command.line for command in found] == [4, 8, 20]
    assert found[0].text.endswith("-H 'X-Master-Key: k'")
    assert found[0].answer.startswith('{"record"')
    assert found[1].answer is None
    assert found[2].answer == '[{"record":"<COLLECTION_ID>"}, ...]'
    assert "make deploy" not in script(found, "http://a", "http://b")


def test_the_script_uses_the_stack_s_ports_and_its_output_splits_by_command():
    found = commands(README)
    text = script(found, "http://127.0.0.1:4321", "http://127.0.0.1:5432")
    assert text.startswith("set -euo pipefail\n")
    assert "http://127.0.0.1:4321/v3/c" in text and "3000" not in text
    printed = outputs('\n@@walkthrough-command@@0\n{"a": 1}\n@@walkthrough-command@@1\n\n@@walkthrough-command@@2\n[]')
    assert printed == {0: '{"a": 1}', 1: "", 2: "[]"}


@pytest.mark.parametrize(
    ("answer", "actual"),
    [
        ('{"id":"<BIN_ID>","n":1}', {"id": "64b7", "n": 1}),
        ('{"createdAt":"2026-11-25T06:00:00.000Z"}', {"createdAt": "2030-01-02T03:04:05.678Z"}),
        ('{"logs":["26-11-2026"]}', {"logs": ["01-02-2031"]}),
        ('{"bins":{...}}', {"bins": {"read": True}}),
        ('{"account":"..."}', {"account": {"id": "x"}}),
        ('[{"a":1}, ...]', [{"a": 1}, {"b": 2}, {"c": 3}]),
        ('[{"a":1}, ...]', [{"a": 1}]),
        ('{"a": "x...y"}', {"a": "x...y"}),
    ],
)
def test_placeholders_match_what_varies(answer, actual):
    assert matches(expected_value(answer), actual)


@pytest.mark.parametrize(
    ("answer", "actual"),
    [
        ('{"n":1}', {"n": 2}),
        ('{"n":1}', {"n": True}),
        ('{"a":1,"b":2}', {"b": 2, "a": 1}),  # the order of keys is part of the answer
        ('{"a":1}', {"a": 1, "b": 2}),
        ('{"id":"<BIN_ID>"}', {"id": 5}),
        ('{"createdAt":"2026-11-25T06:00:00.000Z"}', {"createdAt": "yesterday"}),
        ('{"logs":["26-11-2026"]}', {"logs": ["2026-11-26"]}),
        ('[{"a":1}, ...]', [{"a": 2}]),
        ('[{"a":1}, ...]', []),
        ('[1, 2]', [1, 2, 3]),
        ('{"a": "x...y"}', {"a": "xzy"}),
    ],
)
def test_answers_that_differ_do_not_match(answer, actual):
    assert not matches(expected_value(answer), actual)


def test_any_is_only_what_the_readme_wrote_as_dots():
    assert expected_value('{"a":{...},"b":"...","c":[1, ...]}') == {"a": ANY, "b": ANY, "c": [1, ANY]}


def test_check_reports_wrong_answers_unshown_errors_and_commands_that_never_ran():
    found = commands(README)
    problems = check(found, {0: '{"record":{"a":2},"metadata":{"id":"x","createdAt":"2026-11-25T06:00:00.000Z"}}',
                             1: '{"message":"Bin not found"}'})
    assert len(problems) == 3
    assert "README line 4" in problems[0] and '"a":2' in problems[0]
    assert "an error the README does not show" in problems[1]
    assert "did not run" in problems[2]
    assert check(found, {0: '{"record":{"a":1},"metadata":{"id":"x","createdAt":"2026-11-25T06:00:00.000Z"}}',
                         1: "", 2: '[{"record":"c1"}]'}) == []
