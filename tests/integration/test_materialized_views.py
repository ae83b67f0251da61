"""F34: a PostgreSQL materialized view is not lost: the same-engine dump and `load` create it again from the
masked rows (never a source row copied), `load --replace` drops and recreates it, and a cross-engine dump
names it among the views it cannot recreate."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow   # real PostgreSQL, the CLI in a subprocess

SOURCE_SQL = """
CREATE TABLE customer (id integer PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer(id),
                     amount numeric(8, 2));
INSERT INTO customer SELECT i, 'person' || i || '@source-only.example.co.nz' FROM generate_series(1, 20) i;
INSERT INTO orders SELECT i, 1 + i % 20, i * 1.5 FROM generate_series(1, 60) i;
CREATE MATERIALIZED VIEW customer_totals AS
  SELECT c.email, sum(o.amount) AS total FROM customer c JOIN orders o ON o.customer_id = c.id GROUP BY c.email;
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 50;
"""
POLICY = """\
version: 1
tables:
  customer:
    columns:
      id: keep
      email: {mask: email, unique: true}
  orders:
    columns:
      id: keep
      customer_id: keep
      amount: keep
"""
MATVIEW = "SELECT email, total FROM customer_totals ORDER BY email"
MASKED = ("SELECT c.email, sum(o.amount) FROM customer c JOIN orders o ON o.customer_id = c.id GROUP BY c.email "
          "ORDER BY c.email")


def _is_materialized(url: str) -> bool:
    return dbs.pg_rows(url, "SELECT count(*) FROM pg_matviews WHERE matviewname = 'customer_totals'") == [(1,)]


def test_a_materialized_view_is_recreated_from_the_masked_rows(tmp_path: Path) -> None:
    with dbs.postgres_database("findings") as source, dbs.postgres_database("findings") as by_client, \
            dbs.postgres_database("findings") as by_load:
        dbs.run_psql(source, SOURCE_SQL)
        policy, out = tmp_path / "policy.yaml", tmp_path / "out"
        policy.write_text(POLICY, "utf-8")
        run = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                         "--dialect", "postgresql,mysql")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "customer_totals (materialized)" in run.stderr   # the MySQL dump cannot carry it: said by name
        dump = (out / "sql" / "postgresql.sql").read_text("utf-8")
        assert "CREATE MATERIALIZED VIEW" in dump and "source-only" not in dump

        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dbs.PG_HOST, "-p", str(dbs.PG_PORT),
                        "-U", dbs.PG_USER, "-d", dbs.database_name(by_client)], input=dump.encode(), check=True,
                       capture_output=True)
        for args in (["load", str(out), "--target", by_load], ["load", str(out), "--target", by_load, "--replace"]):
            load = anonymiser(*args)
            assert load.returncode == 0, load.stdout + load.stderr
        for copy in (by_client, by_load):
            assert _is_materialized(copy)
            rows = dbs.pg_rows(copy, MATVIEW)
            assert len(rows) == 20 and rows == dbs.pg_rows(copy, MASKED)   # computed from the copy's rows
            assert not any("source-only" in str(email) for email, _ in rows)
            assert dbs.pg_rows(copy, "SELECT count(*) FROM big_orders") == \
                dbs.pg_rows(source, "SELECT count(*) FROM big_orders")
