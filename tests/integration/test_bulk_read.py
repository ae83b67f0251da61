"""PostgreSQL bulk reads (ADBC) give exactly the reference path's Arrow: same Parquet bytes, table by table."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymiser.errors import SourceError
from anonymiser.schema import TableInfo
from anonymiser.source import bulk
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect
from anonymiser.source.read import arrow_schema, read_table
from anonymiser.subset.result import RowFilter
from tests import dbs
from tests.types.catalogue import PG_SCHEMA, build_postgres

# Values the catalogue lacks where a driver's own decoding would differ from psycopg's (float4 text,
# special floats inside arrays, uuid case, 2-D text arrays with quotes and NULL, timestamp extremes).
EDGE = """
SET search_path = inventory;
CREATE TABLE edge (id int PRIMARY KEY, r real, r_arr real[], d double precision, n numeric(10, 3),
                   t timestamptz, b bytea, u uuid, ia int[], ta2 text[][], code text);
INSERT INTO edge VALUES
  (1, 1.1, '{1.1,NULL,3.4e38}', 0.1, 12.345, '2024-05-06 07:08:09.123456+03', '\\xdeadbeef',
   'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{1,2}', '{{a,"b,c"},{NULL,""}}', 'k1'),
  (2, 'NaN', '{}', 'Infinity', -0.001, '1970-01-01 00:00:00+00', '', NULL, '{}', '{}', 'k2'),
  (3, '-Infinity', NULL, -1e308, NULL, '0001-01-01 00:00:00+00', NULL, NULL, NULL, NULL, 'k3'),
  (4, 1e-45, '{NaN,Infinity}', 'NaN', 0, '9999-12-31 23:59:59.999999+00', NULL, NULL, '{NULL}', '{{x}}', 'k4'),
  (5, 3.4028235e38, '{-0}', -0.0, 1, '2000-02-29 12:00:00-12:45', '\\x00', NULL, '{-1}', '{{"é"}}', 'k5');
"""


def _parquet(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> bytes:
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def catalogue() -> Iterator[str]:
    with dbs.postgres_database() as url:
        build_postgres(url)
        dbs.run_psql(url, EDGE)
        yield url


def _filter(table: TableInfo, conn: object) -> RowFilter:
    """Every other row's key, as the subset step hands them over."""
    keys = pa.Table.from_batches(list(read_table(conn, table.model_copy(update={  # type: ignore[arg-type]
        "columns": tuple(c for c in table.columns if c.name in table.primary_key)}))))
    return RowFilter(columns=tuple(table.primary_key), keys=keys.take(list(range(0, keys.num_rows, 2))))


@pytest.mark.parametrize("filtered", [False, True], ids=["whole-tables", "key-set-filter"])
def test_bulk_read_equals_the_reference_path(catalogue: str, filtered: bool) -> None:
    with connect(catalogue) as conn, bulk.BulkReader(conn) as reader:
        tables = introspect(conn, PG_SCHEMA).tables
        assert {"every_type", "edge", "film", "rental"} <= set(tables)
        for table in tables.values():
            row_filter = _filter(table, conn) if filtered and table.primary_key else None
            schema = arrow_schema(table)
            reference = list(read_table(conn, table, row_filter=row_filter, chunk_rows=2))
            ours = list(reader.read_table(table, row_filter=row_filter, chunk_rows=2))
            assert [b.num_rows for b in ours] == [b.num_rows for b in reference], table.name
            assert _parquet(ours, schema) == _parquet(reference, schema), table.name


def test_a_table_the_driver_cannot_give_exactly_is_read_the_reference_way(catalogue: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_castable", lambda source, target: False)
    with connect(catalogue) as conn, bulk.BulkReader(conn) as reader:
        table = introspect(conn, PG_SCHEMA).tables["every_type"]
        schema = arrow_schema(table)
        assert _parquet(reader.read_table(table), schema) == _parquet(read_table(conn, table), schema)


def test_the_bulk_session_is_read_only_and_errors_show_no_values(catalogue: str) -> None:
    with connect(catalogue) as conn, bulk.BulkReader(conn) as reader:
        session = reader._connection()
        with session.cursor() as cursor, pytest.raises(Exception, match="read-only"):
            cursor.execute("CREATE TABLE inventory.written (id int)")
        session.rollback()
        table = introspect(conn, PG_SCHEMA).tables["edge"]
        wrong = table.model_copy(update={"columns": tuple(
            c.model_copy(update={"kind": "integer", "bits": 32}) if c.name == "code" else c for c in table.columns)})
        with pytest.raises(SourceError) as caught:
            list(reader.read_table(wrong))
        assert "k1" not in str(caught.value) and "code" in str(caught.value)


def test_source_reader_picks_bulk_for_postgresql_only(catalogue: str, tmp_path: Path) -> None:
    with connect(catalogue) as conn, bulk.SourceReader(conn) as reader:
        assert reader.method.startswith("bulk")
    sqlite3.connect(tmp_path / "x.sqlite").close()
    with connect(f"sqlite:///{tmp_path / 'x.sqlite'}") as conn, bulk.SourceReader(conn) as reader:
        assert reader.method == "server-side cursor"


def test_a_whole_table_streams_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Date and timestamp casts carry constants; sent as parameters they turned COPY into a prepared query
    whose whole result the driver held at once (a 10M-row table in memory). Whole tables stream with COPY."""
    monkeypatch.setattr(bulk, "BATCH_HINT_BYTES", 64 << 10)
    arrived: list[int] = []
    guarded = bulk._guarded

    def counting(reader: object, table: TableInfo) -> Iterator[pa.RecordBatch]:
        for batch in guarded(reader, table):
            arrived.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(bulk, "_guarded", counting)
    with dbs.postgres_database() as url:
        dbs.run_psql(url, "CREATE TABLE probe (id int PRIMARY KEY, at timestamptz, d date, note text);"
                          "INSERT INTO probe SELECT g, now(), current_date, repeat('x', 40) "
                          "FROM generate_series(1, 20000) g;")
        with connect(url) as conn, bulk.BulkReader(conn) as reader:
            table = introspect(conn, None).tables["probe"]
            chunks = [b.num_rows for b in reader.read_table(table, chunk_rows=5000)]
            reference = list(read_table(conn, table, chunk_rows=5000))
            ours = list(reader.read_table(table, chunk_rows=5000))
            assert _parquet(ours, arrow_schema(table)) == _parquet(reference, arrow_schema(table))
    assert chunks == [5000] * 4
    assert len(arrived) > 4 and max(arrived) < 10000, arrived


def test_infinite_dates_in_arrays_are_read_in_bulk(catalogue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrays of dates and timestamps (1-D and 2-D, with infinity) take the bulk path, not the fallback."""
    with connect(catalogue) as conn, bulk.BulkReader(conn) as reader:
        table = introspect(conn, PG_SCHEMA).tables["every_type"]
        table = table.model_copy(update={"columns": tuple(c for c in table.columns if c.name in (
            "id", "c_date_array", "c_timestamptz_array", "c_timestamp_grid"))})
        reference = list(read_table(conn, table))
        monkeypatch.setattr(bulk, "read_table", lambda *a, **k: pytest.fail("fell back to the cursor"))
        schema = arrow_schema(table)
        assert _parquet(reader.read_table(table), schema) == _parquet(reference, schema)
