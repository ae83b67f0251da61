"""--quiet and --json work before or after the command, as cron lines are written either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anonymiser.cli.app import hoist_global_flags
from anonymiser.demo import build_demo_database
from tests.cli_runner import anonymiser


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "p.yaml", "--quiet"], ["--quiet", "run", "p.yaml"]),
        (["run", "p.yaml", "-q", "--out", "o"], ["-q", "run", "p.yaml", "--out", "o"]),
        (["--json", "run", "p.yaml"], ["--json", "run", "p.yaml"]),
        (["check", "p.yaml", "--", "--json"], ["check", "p.yaml", "--", "--json"]),
    ],
)
def test_hoist_global_flags(argv: list[str], expected: list[str]) -> None:
    assert hoist_global_flags(argv) == expected


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("source") / "demo.sqlite"
    build_demo_database(path, customers=30)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("placement", ["before", "after"])
def test_json_flag_either_side_of_the_command(tmp_path: Path, demo_source: str, placement: str) -> None:
    command = ["run", "policies/demo.yaml", "--source", demo_source, "--out", str(tmp_path / "out")]
    args = ["--json", *command] if placement == "before" else [*command, "--json"]
    result = anonymiser(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line)["event"] for line in result.stderr.splitlines()]
    assert events[0] == "planned" and "verified" in events
    assert json.loads(result.stdout)["verdict"] == "PASS"


def test_quiet_after_the_command_prints_only_the_result(tmp_path: Path, demo_source: str) -> None:
    result = anonymiser("run", "policies/demo.yaml", "--source", demo_source, "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert "Verification: PASS" in result.stdout
    assert "source rows" not in result.stdout  # the per-table summary is left out
