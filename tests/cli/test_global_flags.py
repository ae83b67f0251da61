"""--quiet and --json work before or after the command, as cron lines are written either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]   # fails on any line that is not JSON


def test_every_command_prints_only_json_events_with_json(tmp_path: Path, demo_source: str) -> None:
    out, policy = tmp_path / "out", tmp_path / "policy.yaml"
    commands = [
        (["scan", demo_source, "--out", str(policy)], 0, None),
        (["check", str(policy)], 0, "checked"),                                  # success, no source
        (["check", str(policy), "--source", demo_source, "--strategies"], 0, "checked"),
        # the shipped policy: a fresh draft of 30 made-up customers is below k_target (a FAIL, tested below)
        (["run", "policies/demo.yaml", "--source", demo_source, "--out", str(out)], 0, "finished"),
        (["verify", str(out), "--source", demo_source], 0, "verified"),
        (["report", str(out)], 0, "report_rendered"),
        (["keygen"], 0, "key_generated"),
    ]
    for args, code, result_event in commands:
        result = anonymiser("--json", *args)
        assert result.returncode == code, (args, result.stdout + result.stderr)
        events = _json_lines(result.stderr)
        results = _json_lines(result.stdout)
        if result_event is not None:
            assert [r["event"] for r in results] == [result_event], args
        assert all("event" in e for e in events), args
    check = _json_lines(anonymiser("--json", "check", str(policy), "--source", demo_source, "--strategies").stdout)
    assert check[0]["drift_checked"] is True and check[0]["strategies"]


def test_failed_verification_exits_1_with_json_events_only(tmp_path: Path, demo_source: str) -> None:
    out = tmp_path / "out"
    assert anonymiser("run", "policies/demo.yaml", "--source", demo_source, "--out", str(out)).returncode == 0
    result = anonymiser("--json", "verify", str(out), "--source", demo_source, key=None)   # no key: not authentic
    assert result.returncode == 1, result.stdout + result.stderr
    (verified,) = _json_lines(result.stdout)
    assert verified["verdict"] == "FAIL"
    assert [f["reason"] for f in verified["failures"]] == ["manifest_not_authenticated"]
    error = _json_lines(result.stderr)[-1]
    assert (error["event"], error["reason"], error["exit_code"]) == ("error", "verification", 1)


@pytest.mark.parametrize(("args", "message"), [
    (["--json", "run"], "Missing argument 'policy'"),
    (["--json", "check", "p.yaml", "--bogus"], "No such option: --bogus"),
    (["check", "p.yaml", "--bogus", "--json"], "No such option: --bogus"),         # --json after the command
    (["--json", "scan", "sqlite:///x.sqlite", "--sample", "many"], "Invalid value for '--sample'"),
    (["--json", "--bogus"], "No such option: --bogus"),                            # a bad global option
    (["--json", "nosuch"], "No such command 'nosuch'"),
    (["--json"], "Missing command"),
], ids=["missing-argument", "unknown-option", "json-after", "bad-value", "bad-global-option", "unknown-command",
        "no-command"])
def test_usage_errors_are_json_error_events_with_json(args: list[str], message: str) -> None:
    result = anonymiser(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (event,) = _json_lines(result.stderr)          # one JSON line, nothing else (no rich box)
    assert event["event"] == "error" and event["reason"] == "usage" and event["exit_code"] == 2
    assert message in event["message"] and "--help" in event["hint"]


def test_usage_errors_stay_text_without_json() -> None:
    result = anonymiser("check", "p.yaml", "--bogus")
    assert result.returncode == 2 and "No such option: --bogus" in result.stderr
    assert not result.stderr.lstrip().startswith("{")
