"""The package's layers: contracts hold, imports sit at module top, and --help loads nothing heavy."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import anonymiser
from anonymiser.cli.app import COMMANDS

PACKAGE = Path(anonymiser.__file__).parent
HEAVY = ("pandas", "sqlalchemy", "presidio_analyzer", "spacy", "faker", "anonymiser.pipeline")
# Modules that may import our own code on first use, and why (everywhere else it is at the top).
OWN_CODE_ON_FIRST_USE = {
    "detect/engine.py": "the recognizer modules import Presidio and read the word lists",
    "testing/plugin.py": "pytest loads the plugin into every run; its machinery only when configured",
    "cli/entry.py": "the signal handlers are installed before the application (typer, rich) is imported",
}


def _local_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, has a comment) of every import below module level, TYPE_CHECKING blocks aside."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    top: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            top.update(id(n) for n in ast.walk(node))
        top.add(id(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            first = node.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                first -= 1                                      # a group of imports shares one comment
            span = lines[max(first - 1, 0):node.end_lineno]
            found.append((node.lineno, module or "", any("#" in line for line in span)))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_sit_at_module_top_unless_a_comment_says_why(path: Path) -> None:
    documented = path.relative_to(PACKAGE).as_posix() in OWN_CODE_ON_FIRST_USE     # the module says why
    for line, module, commented in _local_imports(path):
        assert commented or documented, f"{path}:{line}: import of {module} inside a function, no comment says why"
        if module.startswith("anonymiser."):
            # Our own code is imported at the top: an import hidden in a function hides a cycle.
            assert path.relative_to(PACKAGE).as_posix() in OWN_CODE_ON_FIRST_USE, f"{path}:{line}: {module}"


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["scan", "--help"], ["run", "--help"]],
                         ids=["help", "version", "scan-help", "run-help"])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "anonymiser", *args], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    heavy = set(HEAVY) if args[0].startswith("--") else set(HEAVY) - {"anonymiser.pipeline"}
    assert not heavy & imported, sorted(heavy & imported)


def test_the_command_list_matches_the_command_modules() -> None:
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"anonymiser.cli.{name}")
        assert name == module.NAME and module.HELP.splitlines()[0] == summary
