"""Issue 10: a partial unique index (the soft-delete idiom) is an index, not a key: the PostgreSQL copy
rebuilds it exactly, the other engines' copies do not turn it into a UNIQUE constraint the rows break,
and verification does not count the rows outside its predicate as duplicates."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = [pytest.mark.postgres, pytest.mark.mariadb]

SOURCE = """
SET client_min_messages = warning;
CREATE TABLE account (id int PRIMARY KEY, email text NOT NULL, deleted boolean NOT NULL DEFAULT false);
CREATE UNIQUE INDEX account_live_email ON account (email) WHERE NOT deleted;
INSERT INTO account VALUES (1, 'aroha.planted@leaktest.co.nz', true), (2, 'aroha.planted@leaktest.co.nz', true),
                           (3, 'aroha.planted@leaktest.co.nz', false), (4, 'tane.planted@leaktest.co.nz', false);
"""
POLICY = "version: 1\ntables:\n  account: {columns: {id: keep, email: {mask: email}, deleted: keep}}\n"


def test_a_partial_unique_index_is_rebuilt_on_postgresql_and_no_key_elsewhere(tmp_path: Path) -> None:
    with dbs.postgres_database() as source, dbs.postgres_database() as copy, dbs.mariadb_database() as mysql:
        dbs.run_psql(source, SOURCE)
        policy = tmp_path / "policy.yaml"
        policy.write_text(POLICY, encoding="utf-8")
        out = tmp_path / "out"
        result = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                            "--dialect", "postgresql,mysql,sqlite")
        assert result.returncode == 0, result.stdout + result.stderr   # no duplicate counted outside the predicate

        dbs.run_psql(copy, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        assert dbs.pg_rows(copy, "SELECT pg_get_indexdef('account_live_email'::regclass)") == [
            ("CREATE UNIQUE INDEX account_live_email ON public.account USING btree (email) WHERE (NOT deleted)",)]
        assert dbs.pg_rows(copy, "SELECT count(DISTINCT email) FROM account WHERE id < 4") == [(1,)]

        dbs.run_mariadb(mysql, (out / "sql" / "mysql.sql").read_text("utf-8"))
        assert dbs.mariadb_rows(mysql, "SELECT COUNT(*) FROM account") == [(4,)]
        assert "account: index(es) account_live_email not recreated" in (out / "sql" / "mysql.sql").read_text("utf-8")
        target = tmp_path / "copy.sqlite"
        subprocess.run(["sqlite3", str(target)], input=(out / "sql" / "sqlite.sql").read_bytes(), check=True,
                       capture_output=True)
        with sqlite3.connect(target) as conn:
            assert conn.execute("SELECT COUNT(*) FROM account").fetchone() == (4,)
