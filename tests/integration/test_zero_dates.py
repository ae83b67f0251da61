"""Issue 10: MySQL/MariaDB zero dates (``0000-00-00``, a zero month or day, stored under a lax sql_mode)
travel as NULL with a warning naming table.column and counting the cells, never stopping the run; a NOT
NULL column holding them, and a zero-date default, are relaxed in the copy, which then loads with
``mariadb <``, ``anonymiser load`` (MariaDB and PostgreSQL) and ``psql``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = [pytest.mark.mariadb, pytest.mark.postgres]

SOURCE = """
SET SESSION sql_mode = '';
CREATE TABLE booking (
  id int PRIMARY KEY,
  starts date,
  stamped datetime,
  seen timestamp NULL,
  due date NOT NULL,
  closed datetime(6) NOT NULL DEFAULT '0000-00-00 00:00:00',
  opened date NOT NULL
);
INSERT INTO booking VALUES
  (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '2020-00-15', '0000-00-00', '2024-02-29'),
  (2, '2024-02-29', '2024-02-29 10:00:00', NULL, '2020-05-00', '2020-01-01 00:00:00.5', '2024-03-01'),
  (3, NULL, NULL, '2024-01-01 00:00:00', '2024-01-01', '2021-06-30 12:00', '2024-03-02');
"""
POLICY = ("version: 1\ntables:\n  booking: {columns: {id: keep, starts: keep, stamped: keep, seen: keep, due: keep, "
          "closed: keep, opened: keep}}\n")
ROWS = "SELECT id, {} FROM booking ORDER BY id"
EXPECTED = [
    (1, None, None, None, None, None, "2024-02-29"),
    (2, "2024-02-29", "2024-02-29 10:00:00", None, None, "2020-01-01 00:00:00.500000", "2024-03-01"),
    (3, None, None, "2024-01-01 00:00:00", "2024-01-01", "2021-06-30 12:00:00.000000", "2024-03-02"),
]


def test_zero_dates_travel_as_null_and_the_copy_loads(tmp_path: Path) -> None:
    with dbs.mariadb_database() as source, dbs.mariadb_database() as by_client, \
            dbs.mariadb_database() as by_load, dbs.postgres_database() as pg_client, \
            dbs.postgres_database() as pg_load:
        dbs.run_mariadb(source, SOURCE)
        policy = tmp_path / "policy.yaml"
        policy.write_text(POLICY, encoding="utf-8")
        out = tmp_path / "out"
        result = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                            "--dialect", "mysql,postgresql")
        printed = result.stdout + result.stderr
        assert result.returncode == 0, printed
        for column, count in (("starts", 1), ("stamped", 1), ("seen", 1), ("due", 2), ("closed", 1)):
            assert f"booking.{column}: {count} zero date(s)" in printed, printed
        assert "booking.opened" not in printed
        assert "booking.due: NOT NULL dropped" in printed and "booking.closed: NOT NULL dropped" in printed
        assert "booking.closed: zero-date default dropped" in printed
        assert "0000-00-00" not in printed and "2020-00-15" not in printed   # values are never shown

        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        assert manifest["tables"]["booking"]["dates_nulled"] == {"closed": 1, "due": 2, "seen": 1, "stamped": 1,
                                                                 "starts": 1}
        columns = {c["name"]: c for c in manifest["schema"]["tables"]["booking"]["columns"]}
        assert columns["due"]["nullable"] and columns["closed"]["nullable"] and not columns["opened"]["nullable"]
        assert pq.read_table(out / "parquet" / "booking.parquet").column("due").null_count == 2

        # Same engine: the native client, and `anonymiser load`; kept dates equal, zero dates NULL.
        dbs.run_mariadb(by_client, (out / "sql" / "mysql.sql").read_text("utf-8"))
        loaded = anonymiser("load", str(out), "--target", by_load)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        as_text = ", ".join(f"CAST({c} AS CHAR)" for c in ("starts", "stamped", "seen", "due", "closed", "opened"))
        for target in (by_client, by_load):
            assert dbs.mariadb_rows(target, ROWS.format(as_text)) == EXPECTED
            assert dbs.mariadb_rows(target, "SELECT COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT "
                                            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                                            "AND COLUMN_NAME IN ('due', 'closed', 'opened') ORDER BY 1") == [
                ("closed", "YES", "NULL"), ("due", "YES", "NULL"), ("opened", "NO", None)]

        # Into PostgreSQL too: psql and `anonymiser load`.
        dbs.run_psql(pg_client, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        loaded = anonymiser("load", str(out), "--target", pg_load)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        for target in (pg_client, pg_load):
            rows = dbs.pg_rows(target, "SELECT id, starts::text, due::text, opened::text FROM booking ORDER BY id")
            assert rows == [(i, s, d, o) for i, s, _, _, d, _, o in EXPECTED]


def test_a_zero_date_in_a_key_stops_the_run_naming_the_column(tmp_path: Path) -> None:
    with dbs.mariadb_database() as source:
        dbs.run_mariadb(source, "SET SESSION sql_mode = ''; CREATE TABLE visit (day date PRIMARY KEY, n int);"
                                "INSERT INTO visit VALUES ('0000-00-00', 1), ('2024-01-01', 2);")
        policy = tmp_path / "policy.yaml"
        policy.write_text("version: 1\ntables:\n  visit: {columns: {day: keep, n: keep}}\n", encoding="utf-8")
        result = anonymiser("run", str(policy), "--source", source, "--out", str(tmp_path / "out"))
        assert result.returncode == 3, result.stdout + result.stderr   # the source's data: exit 3 (SPEC)
        assert "visit" in result.stderr and "day" in result.stderr and "zero date" in result.stderr
        assert "Traceback" not in result.stderr and "0000-00-00" not in result.stdout + result.stderr
