"""The policies in policies/ stay complete and valid against the databases they describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anonymiser.demo import build_demo_database
from tests.cli_runner import anonymiser

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    path = tmp_path / "demo.sqlite"
    build_demo_database(path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("policy", "fixture"),
    [
        pytest.param("demo.yaml", "demo_url", id="demo"),
        pytest.param("chinook.yaml", "chinook_sqlite", id="chinook-sqlite"),
        pytest.param("chinook.yaml", "chinook_mariadb", id="chinook-mariadb"),
    ],
)
def test_shipped_policy_checks_and_runs(policy: str, fixture: str, request: pytest.FixtureRequest,
                                        tmp_path: Path) -> None:
    url = request.getfixturevalue(fixture)
    check = anonymiser("check", str(POLICIES / policy), "--source", url)
    assert check.returncode == 0, check.stdout + check.stderr
    out = tmp_path / "out"
    run = anonymiser("--json", "run", str(POLICIES / policy), "--source", url, "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["verdict"] == "PASS"
    manifest = json.loads((out / "manifest.json").read_text())
    root = manifest["policy"]["subset"]["roots"][0]
    entry = manifest["tables"][root["table"]]
    assert entry["rows"] == int(entry["source_rows"] * root["percent"] / 100 + 0.5)   # share of the root, half up
