"""F27: a source whose tables live outside the default schema is not "0 tables" without a word: scan names the
schemas that hold tables and the --schema to use; foreign keys into another schema are warned by name (scan
and run), never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import dbs
from tests.cli_runner import anonymiser, assert_clean_failure

pytestmark = pytest.mark.slow   # real PostgreSQL, the CLI in a subprocess

SCHEMAS_SQL = """
CREATE SCHEMA crm; CREATE SCHEMA billing;
CREATE TABLE crm.customer (id int PRIMARY KEY, email text);
CREATE TABLE crm.note (id int PRIMARY KEY, customer_id int REFERENCES crm.customer(id), body text);
CREATE TABLE billing.invoice (id int PRIMARY KEY, customer_id int REFERENCES crm.customer(id), amount numeric);
INSERT INTO crm.customer SELECT i, 'user' || i || '@example.co.nz' FROM generate_series(1, 10) i;
INSERT INTO billing.invoice SELECT i, i, i * 10 FROM generate_series(1, 10) i;
"""
OUTSIDE = "invoice(customer_id) -> crm.customer"


def test_no_tables_in_the_default_schema_names_the_schemas_that_hold_them(tmp_path: Path, pg_url: str) -> None:
    dbs.run_psql(pg_url, SCHEMAS_SQL)
    policy = tmp_path / "policy.yaml"
    text = assert_clean_failure(anonymiser("scan", pg_url, "--out", str(policy)), 2)
    assert "no tables in the default schema" in text and "billing (1 table), crm (2 tables)" in text
    assert "--schema crm" in text
    assert not policy.exists()


def test_foreign_keys_into_another_schema_are_warned_by_name(tmp_path: Path, pg_url: str) -> None:
    dbs.run_psql(pg_url, SCHEMAS_SQL)
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    scan = anonymiser("--json", "scan", pg_url, "--schema", "billing", "--out", str(policy))
    assert scan.returncode == 0, scan.stderr
    (warning,) = [e for e in map(json.loads, scan.stderr.splitlines()) if e["event"] == "outside_foreign_keys"]
    assert warning["level"] == "warning" and warning["foreign_keys"] == [OUTSIDE]
    assert "schema: billing" in policy.read_text("utf-8")
    check = anonymiser("check", str(policy), "--source", pg_url)
    assert check.returncode == 0 and OUTSIDE in check.stderr, check.stdout + check.stderr
    run = anonymiser("run", str(policy), "--source", pg_url, "--out", str(out))
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert "warning: 1 foreign key(s) point outside schema billing and are not followed" in run.stderr
    assert OUTSIDE in run.stderr


def test_an_empty_database_says_so(tmp_path: Path, pg_url: str) -> None:
    text = assert_clean_failure(anonymiser("scan", pg_url, "--out", str(tmp_path / "p.yaml")), 2)
    assert "nor in any other schema" in text


def test_a_schema_name_with_a_space_is_suggested_quoted_for_the_shell(tmp_path: Path, pg_url: str) -> None:
    """trial2: the hint said '--schema Sales Dept', which a shell splits in two."""
    dbs.run_psql(pg_url, 'CREATE SCHEMA "Sales Dept"; CREATE TABLE "Sales Dept".customer (id int PRIMARY KEY);')
    text = assert_clean_failure(anonymiser("scan", pg_url, "--out", str(tmp_path / "p.yaml")), 2)
    assert "--schema 'Sales Dept'" in text
