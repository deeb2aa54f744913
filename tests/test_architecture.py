"""The Lambda handlers' own modules (functions/*) keep to the architecture import-linter checks for
the packages (pyproject.toml, `make lint`): no AWS SDK import (storage owns every AWS call), and no
import cycle. import-linter only reads packages; these are top-level modules, so they are read here."""

import ast
import sys

import pytest
from tests.support import ROOT

FUNCTIONS = sorted((ROOT / "functions").glob("*/*.py"))
AWS_SDK = {"boto3", "botocore"}


def imported_modules(path) -> set[str]:
    """Every module `path` imports, wherever the import statement sits (a lazy import counts too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", FUNCTIONS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_function_module_imports_the_aws_sdk(path):
    assert not {name for name in imported_modules(path) if name.split(".")[0] in AWS_SDK}


def test_the_console_function_imports_only_the_standard_library():
    """It serves files and nothing else: no binstore (it ships without the layer), no AWS SDK, no
    Powertools; so its cold start loads nothing but Python's own modules (docs/console.md)."""
    modules = sorted((ROOT / "functions" / "console").glob("*.py"))
    imported = {name for path in modules for name in imported_modules(path)}
    assert "base64" in imported  # the walk did read its imports
    assert {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names} == set()


def test_no_import_cycle_between_a_functions_modules():
    for function_dir in sorted({path.parent for path in FUNCTIONS}):
        local = {path.stem: path for path in function_dir.glob("*.py")}
        imports = {name: imported_modules(path) & set(local) for name, path in local.items()}

        def reaches(start: str, target: str, seen: set[str]) -> bool:
            for name in imports[start] - seen:
                if name == target or reaches(name, target, seen | {name}):
                    return True
            return False

        assert not [name for name in local if reaches(name, name, set())], function_dir.name


def test_handler_modules_have_names_of_their_own():
    """Each function's entry module is named for it, so tests and tools import them side by side."""
    stems = [path.stem for path in FUNCTIONS]
    handlers = [stem for stem in stems if stem.endswith("_handler")]
    assert len(handlers) == len({path.parent for path in FUNCTIONS}) == len(set(handlers))
    assert len(stems) == len(set(stems))  # no two functions share a module name


def test_make_help_lists_every_target():
    import re
    import subprocess

    makefile = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.+)$", makefile, re.MULTILINE)
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    assert {line.split()[1] for line in listed.splitlines()} == set(phony.split())
