"""scan never overwrites a policy silently; scan --update adds '# NEW: review' rules and keeps reviewed ones."""

from __future__ import annotations

import difflib
import sqlite3
from pathlib import Path

import yaml

from anonymiser.detect.update import NEW_MARK
from anonymiser.policy.model import Policy
from tests.cli_runner import anonymiser, assert_clean_failure

REVIEWED = """\
# Reviewed by Mere Parata on 2026-01-12. Do not regenerate: edit rules by hand.
version: 1
source: ${ANONYMISER_SOURCE_URL}
tables:
  client:
    columns:
      id: keep
      email: { mask: email, unique: true }   # reviewed: unique login
      tier: { mask: keep, reason: "loyalty tier is needed for testing" }

  # The audit table is copied whole.
  audit:
    columns:
      id: keep
      action: keep            # reviewed
      old_col: keep           # a column the source dropped since
quasi_identifiers: []
retention_days: 35
"""


def _source(path: Path, *, drifted: bool) -> str:
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE client (id INTEGER PRIMARY KEY, email TEXT, tier TEXT);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, action TEXT);
        INSERT INTO client VALUES (1, 'aroha.ngata@example.co.nz', 'gold'), (2, 'sione.taufa@example.co.nz', 'silver');
        INSERT INTO audit VALUES (1, 'login');
    """)
    if drifted:
        conn.executescript("""
            ALTER TABLE client ADD COLUMN mobile_phone TEXT;
            ALTER TABLE client ADD COLUMN password_hash TEXT;
            CREATE TABLE staff (id INTEGER PRIMARY KEY, full_name TEXT, username TEXT);
            INSERT INTO staff VALUES (1, 'Hemi Walker', 'hwalker7');
        """)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_out_refuses_an_existing_file_unless_forced(tmp_path: Path) -> None:
    url = _source(tmp_path / "src.sqlite", drifted=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text(REVIEWED)
    text = assert_clean_failure(anonymiser("scan", url, "--out", str(policy), "--model", "blank"), 2)
    assert "already exists" in text and "--update" in text and "--force" in text
    assert policy.read_text() == REVIEWED                                  # untouched
    assert anonymiser("scan", url, "--out", str(policy), "--force", "--model", "blank").returncode == 0
    assert policy.read_text() != REVIEWED and "Draft policy" in policy.read_text()


def test_update_adds_marked_rules_and_keeps_every_reviewed_line(tmp_path: Path) -> None:
    url = _source(tmp_path / "src.sqlite", drifted=True)
    policy = tmp_path / "policy.yaml"
    policy.write_text(REVIEWED)
    result = anonymiser("scan", url, "--update", str(policy), "--model", "blank")
    assert result.returncode == 0, result.stderr
    text = policy.read_text()
    # Every reviewed line is still there, in order, byte for byte: the change only inserts lines.
    ops = difflib.SequenceMatcher(None, REVIEWED.splitlines(), text.splitlines(), autojunk=False).get_opcodes()
    assert {op[0] for op in ops} == {"equal", "insert"}
    inserted = [line for op in ops if op[0] == "insert" for line in text.splitlines()[op[3]:op[4]]]
    assert all(NEW_MARK in line or line.strip() == "columns:" for line in inserted)
    new = {line.split(":")[0].strip() for line in inserted if NEW_MARK in line}
    assert new == {"mobile_phone", "password_hash", "staff", "id", "full_name", "username"}
    data = yaml.safe_load(text)
    Policy.model_validate(data)
    client = data["tables"]["client"]["columns"]
    assert client["mobile_phone"] == "phone" and client["email"] == {"mask": "email", "unique": True}
    assert set(data["tables"]["staff"]["columns"]) == {"id", "full_name", "username"}
    assert "hwalker7" not in text and "Walker" not in text                 # evidence only, never values
    assert "client.old_col" not in result.stderr and "audit.old_col" in result.stderr   # reported, kept
    # A second update finds nothing new and leaves the file alone.
    again = anonymiser("scan", url, "--update", str(policy), "--model", "blank")
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert policy.read_text() == text


def test_update_of_a_broken_policy_names_the_line(tmp_path: Path) -> None:
    url = _source(tmp_path / "src.sqlite", drifted=True)
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntables:\n  client:\n    columns: [oops\n")
    text = assert_clean_failure(anonymiser("scan", url, "--update", str(policy), "--model", "blank"), 2)
    assert "policy.yaml" in text
