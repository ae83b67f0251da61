"""Bad input gets one clear paragraph and the documented exit code: never a traceback or a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymiser.demo import build_demo_database
from tests.cli_runner import anonymiser, assert_clean_failure

POLICY_HEAD = "version: 1\ntables:\n"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("source") / "demo.sqlite"
    build_demo_database(path, customers=50)
    return f"sqlite:///{path}"


def test_run_without_a_key_exits_2_and_writes_nothing(tmp_path: Path, demo_source: str) -> None:
    result = anonymiser("run", str(Path("policies/demo.yaml").resolve()), "--source", demo_source,
                        "--out", str(tmp_path / "out"), key=None)
    text = assert_clean_failure(result, 2)
    assert "ANONYMISER_KEY" in text and "anonymiser keygen" in text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad_key", ["short", "not base64 at all!!"], ids=["too-short", "garbage"])
def test_run_with_an_unusable_key_exits_2(tmp_path: Path, demo_source: str, bad_key: str) -> None:
    result = anonymiser("run", "policies/demo.yaml", "--source", demo_source, "--out", str(tmp_path / "out"),
                        key=bad_key)
    text = assert_clean_failure(result, 2)
    assert bad_key not in text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("policy", "expected", "line"),
    [
        pytest.param(POLICY_HEAD + "  customer:\n    columns:\n      email: {mask: email\n", "not valid YAML", 5,
                     id="malformed-yaml"),
        pytest.param(POLICY_HEAD + "  customer:\n    columns:\n      email: {mask: emial}\n",
                     "Did you mean 'email'", 5, id="unknown-strategy"),
        pytest.param(POLICY_HEAD + "  customr:\n    columns:\n      id: keep\n", "Did you mean 'customer'", 3,
                     id="missing-table"),
        pytest.param(POLICY_HEAD + "  customer:\n    columns:\n      emale: keep\n", "Did you mean 'email'", 5,
                     id="missing-column"),
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_policies_exit_2_naming_file_and_line(tmp_path: Path, demo_source: str, policy: str, expected: str,
                                                  line: int, command: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    result = anonymiser(command, str(path), "--source", demo_source, *extra)
    text = assert_clean_failure(result, 2)
    assert expected in text
    assert f"line {line}" in text or f"policy.yaml:{line}" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_strategy_that_cannot_mask_the_column_type_exits_2_before_reading(
        tmp_path: Path, demo_source: str, command: str) -> None:
    text = Path("policies/demo.yaml").read_text()
    text = text.replace("      created_at: keep", "      created_at: { mask: email }")
    text = text.replace("      hired_on: { mask: date_shift, max_days: 60 }", "      hired_on: person_name")
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    lines = text.splitlines()
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    out = assert_clean_failure(anonymiser(command, str(path), "--source", demo_source, *extra), 2)
    for column, rule in (("customer.created_at", "created_at: { mask: email }"), ("staff.hired_on", "hired_on:")):
        line = next(i for i, text_line in enumerate(lines, 1) if rule in text_line)
        assert f"policy.yaml:{line}: {column}" in out
    assert "cannot mask a datetime column" in out and "cannot mask a date column" in out
    assert "Strategies that fit this column: date_shift, generalise, keep" in out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql://app:s3cr3t-pw@127.0.0.1:1/prod", id="postgresql-closed-port"),
        pytest.param("mysql://app:s3cr3t-pw@127.0.0.1:1/prod", id="mysql-closed-port"),
        pytest.param("postgresql://nobody:s3cr3t-pw@127.0.0.1:5432/no_such_db", id="postgresql-unknown-db"),
    ],
)
@pytest.mark.parametrize("command", ["check", "run", "scan"])
def test_unreachable_databases_exit_3_without_the_password(tmp_path: Path, url: str, command: str) -> None:
    if command == "scan":
        args = ["scan", url, "--out", str(tmp_path / "p.yaml")]
    else:
        args = [command, "policies/demo.yaml", "--source", url]
        args += ["--out", str(tmp_path / "out")] if command == "run" else []
    result = anonymiser(*args)
    text = assert_clean_failure(result, 3)
    assert "s3cr3t-pw" not in text
    assert "***" in text
    assert not (tmp_path / "out").exists()


def test_a_bad_url_is_a_usage_error(tmp_path: Path) -> None:
    result = anonymiser("check", "policies/demo.yaml", "--source", "not a url")
    text = assert_clean_failure(result, 2)
    assert "SQLAlchemy URL" in text


def test_a_missing_policy_file_says_how_to_make_one(tmp_path: Path) -> None:
    result = anonymiser("check", str(tmp_path / "nope.yaml"))
    text = assert_clean_failure(result, 2)
    assert "anonymiser scan" in text


def test_json_mode_reports_errors_as_json(tmp_path: Path) -> None:
    import json

    result = anonymiser("--json", "check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    event = json.loads(result.stderr.strip().splitlines()[-1])
    assert event["event"] == "error" and event["exit_code"] == 2 and event["reason"] == "policy"


@pytest.mark.parametrize("command", ["check", "run", "scan"])
def test_a_missing_sqlite_source_is_not_created(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "typo.sqlite"
    url = f"sqlite:///{missing}"
    args = {"check": ["check", "policies/demo.yaml", "--source", url],
            "run": ["run", "policies/demo.yaml", "--source", url, "--out", str(tmp_path / "out")],
            "scan": ["scan", url, "--out", str(tmp_path / "p.yaml")]}[command]
    text = assert_clean_failure(anonymiser(*args), 3)
    assert "does not exist" in text
    assert not missing.exists()


UNEXPECTED = """
import sys
import anonymiser.cli.keygen as keygen
from anonymiser.cli.app import main
from anonymiser.cli.common import handles_errors

@handles_errors
def command() -> None:
    raise {error}

keygen.command = command
sys.argv = ["anonymiser", "--json", "keygen"]
main()
"""


@pytest.mark.parametrize(("error", "code"), [("ValueError('x')", 70),
                                             ("__import__('sqlalchemy.exc').exc.OperationalError('s', {}, None)", 3)],
                         ids=["internal", "database"])
def test_the_json_error_event_states_the_exit_code(error: str, code: int) -> None:
    """An unexpected error's JSON event said exit_code 2 while the process exited 70 (or 3)."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    result = subprocess.run([sys.executable, "-c", UNEXPECTED.format(error=error)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == code, result.stderr
    event = json.loads(result.stderr.strip().splitlines()[-1])
    assert event["event"] == "error" and event["exit_code"] == code, event
