"""run's detection: the scan's recorded evidence and the policy's rules; only unjudged kept columns are sampled."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from anonymiser.detect import detect_schema, recorded
from anonymiser.detect import evidence as evidence_module
from anonymiser.detect.draft import draft_policy, evidence_comment
from anonymiser.detect.engine import get_engine
from anonymiser.detect.model import ColumnFinding, DetectionResult
from anonymiser.policy.load import load_policy
from anonymiser.policy.model import ColumnRule
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect


@pytest.mark.parametrize("finding", [
    ColumnFinding(table="t", column="c", kind="text", classification="direct_identifier", entity="EMAIL_ADDRESS",
                  detector="column_name", score=0.95, hit_rate=1.0, sampled=200, rule=ColumnRule(mask="email"),
                  note="values agree with the column name"),
    ColumnFinding(table="t", column="c", kind="text", classification="direct_identifier", entity="PERSON",
                  detector="presidio:SpacyRecognizer", score=0.85, hit_rate=0.99, sampled=178, free_text=True,
                  rule=ColumnRule(mask="free_text"), note="free text: 177 of 178 sampled cells · name a person"),
    ColumnFinding(table="t", column="c", kind="integer", classification="not_personal", detector="type", score=0.9,
                  rule=ColumnRule(mask="keep"), note="integer surrogate key"),
    ColumnFinding(table="t", column="c", kind="date", classification="quasi_identifier", entity="DATE_OF_BIRTH",
                  detector="column_name", score=0.7, rule=ColumnRule(mask="date_shift")),
    ColumnFinding(table="t", column="c", kind="text", classification="sensitive", entity="NZ_NHI",
                  detector="nz:NzNhiRecognizer", score=0.4, hit_rate=0.0, sampled=3, rule=ColumnRule(mask="nz_nhi")),
], ids=["email-by-name", "free-text", "surrogate-key", "quasi-no-rate", "sensitive-zero-rate"])
def test_evidence_comment_reads_back(finding: ColumnFinding) -> None:
    for prefix in ("", "NEW: review · "):
        rule = f"{{mask: {finding.rule.mask}, reason: 'a # in a reason'}}"
        line = f"      c: {rule}   # {prefix}{evidence_comment(finding)}"
        parsed = recorded.parse_evidence(line)
        assert parsed is not None
        assert ColumnFinding(table="t", column="c", kind=finding.kind, rule=finding.rule, **parsed) == finding


@pytest.mark.parametrize("line", ["      c: keep", "      c: keep   # reviewed by Ana", "      c: {mask: email}"])
def test_lines_without_scan_evidence(line: str) -> None:
    assert recorded.parse_evidence(line) is None


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "src.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT, contact TEXT, tier TEXT, code TEXT)")
        conn.executemany("INSERT INTO person VALUES (?,?,?,?,?)",
                         [(i, f"p{i}@example.org", f"c{i}@mail.example.com", "gold", "ok") for i in range(60)])
    conn.close()
    return f"sqlite:///{path}"


def _sampled(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = evidence_module.table_evidence

    def spy(conn: Any, table: Any, sample: int, engine: Any) -> Any:
        calls.append([c.name for c in table.columns])
        return real(conn, table, sample, engine)

    monkeypatch.setattr(recorded, "table_evidence", spy)
    return calls


def test_a_scanned_policy_is_not_sampled_again(tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with connect(source) as conn:
        schema = introspect(conn)
        scanned = detect_schema(conn, schema, sample=100, model="blank")
        policy = tmp_path / "policy.yaml"
        policy.write_text(draft_policy(schema, scanned), encoding="utf-8")
        calls = _sampled(monkeypatch)
        result = recorded.detect_from_policy(conn, schema, load_policy(policy), sample=100,
                                             engine=lambda: get_engine("blank"))
    assert calls == []
    assert _essentials(result) == _essentials(scanned)
    assert "nothing sampled" in result.engine["findings_from"]


def _essentials(result: DetectionResult) -> list[tuple[Any, ...]]:
    return [(f.table, f.column, f.classification, f.entity, f.detector, f.score, f.free_text, f.rule.mask)
            for f in result.findings]


def test_only_kept_columns_without_evidence_or_reason_are_sampled(tmp_path: Path, source: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntables:\n  person:\n    columns:\n      id: keep\n      email: email\n"
                      "      contact: keep\n      tier: {mask: keep, reason: loyalty tier}\n      code: redact\n",
                      encoding="utf-8")
    calls = _sampled(monkeypatch)
    with connect(source) as conn:
        result = recorded.detect_from_policy(conn, introspect(conn), load_policy(policy), sample=100,
                                             engine=lambda: get_engine("blank"))
    assert calls == [["contact"]]
    found = {f.column: f for f in result.findings}
    assert (found["contact"].entity, found["contact"].classification) == ("EMAIL_ADDRESS", "direct_identifier")
    assert found["contact"].rule.mask == "keep"                  # what ran: the policy's rule, not a suggestion
    assert (found["email"].detector, found["email"].sampled) == ("column_name", 0)
    assert found["code"].classification == "direct_identifier" and found["code"].detector == "policy"
    assert found["tier"].classification == "not_personal"
