"""The README's walkthrough, as a test runs it: its `sh` blocks in order, each answer compared with
the one the README shows.

What the README promises a reader, this module reads from it:
- Every ```sh block is part of one walkthrough, run in order by one bash (`set -euo pipefail`, so a
  variable used before it is set fails the run). Blocks a test cannot run here (they deploy, need
  Docker, or serve forever) are fenced ```shell instead: GitHub shows both alike.
- A command is a line that is not a comment, with its `\\`-continued lines.
- A comment line right after a command that starts with `# {` or `# [` is the command's answer,
  as JSON; placeholders match what varies (see `matches`). Other comments are prose.
- The ports `make run` uses by default (3000 for the API, 5000 for moto) are replaced with those of
  the stack the test runs against, as a reader reads them from make run's banner.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

ANY = "\u2026"  # what `...` in an answer becomes: any value, or as a list's last element, any more
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
_DAY = re.compile(r"\d\d-\d\d-\d{4}")  # a usage log's day, DD-MM-YYYY
_FENCE = re.compile(r"^```(\S*)\s*$")
MARK = "@@walkthrough-command@@"


@dataclass(frozen=True)
class Command:
    line: int  # in the README, 1-based
    text: str
    answer: str | None  # the answer the README shows, if it shows one


def sh_blocks(readme: str) -> list[tuple[int, list[str]]]:
    """The ```sh blocks: (the line after the fence, the block's lines)."""
    blocks, current, fence_language = [], None, None
    for number, line in enumerate(readme.splitlines(), start=1):
        fence = _FENCE.match(line)
        if fence and current is None and fence_language is None:
            fence_language = fence[1]
            if fence_language == "sh":
                current = (number + 1, [])
        elif line.startswith("```") and fence_language is not None:
            if current is not None:
                blocks.append(current)
            current, fence_language = None, None
        elif current is not None:
            current[1].append(line)
    return blocks


def commands(readme: str) -> list[Command]:
    found: list[Command] = []
    for first_line, lines in sh_blocks(readme):
        index = 0
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                index += 1
                continue
            start, text = first_line + index, [line]
            while text[-1].rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                text.append(lines[index])
            index += 1
            answer = None
            if index < len(lines) and re.match(r"\s*# [{\[]", lines[index]):
                answer = lines[index].strip()[2:]
                index += 1
            found.append(Command(start, "\n".join(text), answer))
    return found


def script(found: list[Command], url: str, moto_url: str) -> str:
    """One bash script: each command after a line marking where its output starts."""
    parts = ["set -euo pipefail"]
    for number, command in enumerate(found):
        text = command.text.replace("http://127.0.0.1:3000", url).replace("http://127.0.0.1:5000", moto_url)
        parts.append(f"printf '\\n{MARK}%s\\n' {number}")
        parts.append(text)
    return "\n".join(parts) + "\n"


def outputs(stdout: str) -> dict[int, str]:
    """What each command printed, by its number in the script."""
    printed = {}
    for chunk in stdout.split(f"\n{MARK}")[1:]:
        number, _, output = chunk.partition("\n")
        printed[int(number)] = output.strip()
    return printed


def expected_value(answer: str):
    """The README's answer as JSON, with `...` (bare, quoted, or as `{...}`) made ANY."""
    out, index, in_string = [], 0, False
    while index < len(answer):
        char = answer[index]
        if in_string:
            if char == "\\":
                out.append(answer[index : index + 2])
                index += 2
                continue
            in_string = char != '"'
            out.append(char)
        elif answer.startswith("{...}", index):
            out.append(json.dumps(ANY))
            index += 5
            continue
        elif answer.startswith('"..."', index) or answer.startswith("...", index):
            out.append(json.dumps(ANY))
            index += 5 if char == '"' else 3
            continue
        else:
            in_string = char == '"'
            out.append(char)
        index += 1
    return json.loads("".join(out))


def matches(expected, actual) -> bool:
    """Whether an answer is the one the README shows: the same keys in the same order, the same
    values, except where the README writes ANY (`...`), a placeholder such as `"<BIN_ID>"` (any
    string), a timestamp (any timestamp) or a usage log's day (any day)."""
    if expected == ANY:
        return True
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        for pattern in (_PLACEHOLDER, _TIMESTAMP, _DAY):
            if pattern.fullmatch(expected):
                return pattern is _PLACEHOLDER or bool(pattern.fullmatch(actual))
        return expected == actual
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and list(expected) == list(actual)
            and all(matches(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == ANY:
            head = expected[:-1]
            return len(actual) >= len(head) and all(map(matches, head, actual))
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return type(expected) is type(actual) and expected == actual


def check(found: list[Command], printed: dict[int, str]) -> list[str]:
    """What differs from the README, one line each (empty: the walkthrough ran as written)."""
    problems = []
    for number, command in enumerate(found):
        where = f"README line {command.line}: {command.text.splitlines()[0].strip()}"
        if number not in printed:
            problems.append(f"{where}\n    did not run")
            continue
        output = printed[number]
        try:
            actual = json.loads(output) if output else None
        except json.JSONDecodeError:
            actual = None
        if command.answer is not None:
            if actual is None or not matches(expected_value(command.answer), actual):
                problems.append(f"{where}\n    README: {command.answer}\n    answer: {output}")
        elif isinstance(actual, dict) and list(actual) == ["message"]:
            # An answer the README does not show must not be an error.
            problems.append(f"{where}\n    an error the README does not show: {output}")
    return problems


def readme_text(root: Path) -> str:
    return (root / "README.md").read_text(encoding="utf-8")
