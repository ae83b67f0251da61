"""Issue 10: PostgreSQL arrays of dates and timestamps holding ``infinity``/``-infinity`` survive
run → Parquet → SQL dump → psql / ``anonymiser load``, on both read paths (ADBC bulk and the cursor); and
dates before year 1 (BC) likewise.

The cursor path is the one a source without the optional ADBC driver takes: the CLI runs with a
``PYTHONPATH`` in which ``adbc_driver_postgresql`` cannot be imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymiser.schema import DATE_INFINITY, TIMESTAMP_INFINITY
from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.postgres

SOURCE = """
CREATE TABLE a (id int PRIMARY KEY, d date[], t timestamptz[], ts timestamp[], grid date[][], s date,
                stamp timestamptz);
INSERT INTO a (id, d, t, ts, grid) VALUES
  (1, '{2024-02-29,-infinity}', '{infinity,"2024-01-01 00:00+00"}', '{-infinity,NULL,"2000-01-01 12:00:00.5"}',
   '{{infinity,2020-01-01},{NULL,-infinity}}'),
  (2, NULL, '{}', NULL, NULL),
  (3, '[0:1]={infinity,infinity}', '{NULL}', '{infinity}', '{{2024-01-01}}');
-- Years before 1 (PostgreSQL writes them with BC; Arrow counts a year 0), in arrays and alone.
INSERT INTO a VALUES (4, '{0044-03-15 BC,2024-01-01}', '{"0044-03-15 10:00:00.5+00 BC"}', '{"0001-12-31 23:59 BC"}',
                      '{{4713-01-01 BC}}', '0001-01-01 BC', '0100-02-28 12:00+00 BC');
"""
POLICY = ("version: 1\ntables:\n  a: {columns: {id: keep, d: keep, t: keep, ts: keep, grid: keep, s: keep, "
          "stamp: keep}}\n")
AS_TEXT = "SELECT id, d::text, t::text, ts::text, grid::text, s::text, stamp::text FROM a ORDER BY id"
# The source's own text, but for the lower bound of row 3's array (Arrow lists start at 1, as PostgreSQL's
# arrays do unless written otherwise).
EXPECTED_ROW_3 = (3, "{infinity,infinity}", "{NULL}", "{infinity}", "{{2024-01-01}}", None, None)


def _without_adbc(tmp_path: Path) -> dict[str, str]:
    shadow = tmp_path / "no_adbc" / "adbc_driver_postgresql"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("hidden by the test: read through the cursor")\n')
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))}


@pytest.mark.parametrize("read_path", ["bulk", "cursor"])
def test_infinite_dates_in_arrays_round_trip(read_path: str, tmp_path: Path) -> None:
    env = _without_adbc(tmp_path) if read_path == "cursor" else {}
    with dbs.postgres_database() as source, dbs.postgres_database() as by_client, \
            dbs.postgres_database() as by_load:
        dbs.run_psql(source, "SET client_min_messages = warning;" + SOURCE)
        policy = tmp_path / "policy.yaml"
        policy.write_text(POLICY, encoding="utf-8")
        out = tmp_path / "out"
        result = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                            "--dialect", "postgresql,mysql,sqlite", env=env)
        assert result.returncode == 0, result.stdout + result.stderr

        # Parquet: list columns of date32 / timestamp, infinity as the storage extremes (DuckDB's own).
        table = pq.read_table(out / "parquet" / "a.parquet")
        assert table.schema.field("t").type.value_type == pa.timestamp("us", tz="UTC")
        assert table.schema.field("grid").type.value_type.value_type == pa.date32()
        first = {name: table.column(name).cast(_storage(table.schema.field(name).type))[0].as_py()
                 for name in ("d", "t", "ts", "grid")}
        assert first["d"] == [19782, DATE_INFINITY[1]]
        assert first["t"] == [TIMESTAMP_INFINITY[0], 1_704_067_200_000_000]
        assert first["ts"] == [TIMESTAMP_INFINITY[1], None, 946_728_000_500_000]
        assert first["grid"] == [[DATE_INFINITY[0], 18262], [None, DATE_INFINITY[1]]]
        import duckdb

        assert duckdb.sql(f"SELECT d[2]::text, t[1]::text FROM read_parquet('{out / 'parquet' / 'a.parquet'}') "
                          "WHERE id = 1").fetchall() == [("-infinity", "infinity")]

        # Same engine: the dump under psql, and `anonymiser load`, give the source's values back exactly.
        dbs.run_psql(by_client, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        loaded = anonymiser("load", str(out), "--target", by_load, env=env)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        expected = dbs.pg_rows(source, AS_TEXT)
        expected[2] = EXPECTED_ROW_3
        for target in (by_client, by_load):
            assert dbs.pg_rows(target, AS_TEXT) == expected
            assert dbs.pg_rows(target, "SELECT d[2] = '-infinity', t[1] = 'infinity', grid[1][1] = 'infinity' "
                                       "FROM a WHERE id = 1") == [(True, True, True)]

        # Other engines have no infinite dates: JSON arrays with the stand-ins scalar columns get.
        mysql = (out / "sql" / "mysql.sql").read_text("utf-8")
        assert '\'["2024-02-29","0001-01-01"]\'' in mysql
        assert '\'["9999-12-31 23:59:59.999999Z","2024-01-01 00:00:00.000000Z"]\'' in mysql
        assert "out of range" not in mysql


def _storage(arrow_type: pa.DataType) -> pa.DataType:
    assert isinstance(arrow_type, pa.ListType)
    inner = arrow_type.value_type
    if pa.types.is_list(inner):
        return pa.list_(_storage(inner))
    return pa.list_(pa.int32() if pa.types.is_date32(inner) else pa.int64())


def test_date_shift_keeps_infinity_infinite(tmp_path: Path) -> None:
    """Shifting infinity by some days is still infinity (it was a wrapped-around integer, a dump psql refused),
    and an infinity left as it is is no leak: like NULL it says nothing about anyone."""
    with dbs.postgres_database() as source, dbs.postgres_database() as target:
        dbs.run_psql(source, "SET client_min_messages = warning;" + SOURCE
                     + "CREATE TABLE b (id int PRIMARY KEY, s date, e timestamptz);"
                       "INSERT INTO b VALUES (1, 'infinity', '-infinity'), (2, '-infinity', 'infinity'),"
                       " (3, '2020-01-01', '2020-01-01 10:00+00');")
        policy = tmp_path / "policy.yaml"
        policy.write_text("version: 1\ntables:\n  a: {columns: {id: keep, d: {mask: date_shift}, "
                          "t: {mask: date_shift, by: id}, ts: keep, grid: keep, s: keep, stamp: keep}}\n"
                          "  b: {columns: {id: keep, s: {mask: date_shift}, e: {mask: date_shift, by: id}}}\n",
                          encoding="utf-8")
        out = tmp_path / "out"
        result = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql")
        assert result.returncode == 0, result.stdout + result.stderr
        dbs.run_psql(target, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        assert dbs.pg_rows(target, "SELECT id, s::text, e::text FROM b WHERE id < 3 ORDER BY id") == [
            (1, "infinity", "-infinity"), (2, "-infinity", "infinity")]
        assert dbs.pg_rows(target, "SELECT s <> '2020-01-01', e <> '2020-01-01 10:00+00' FROM b WHERE id = 3") == [
            (True, True)]
        assert dbs.pg_rows(target, "SELECT d[2]::text, t[1]::text, d[1] <> '2024-02-29' FROM a WHERE id = 1") == [
            ("-infinity", "infinity", True)]
