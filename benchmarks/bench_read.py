"""Reading PostgreSQL tables into Arrow: server-side cursor vs psycopg COPY binary vs ADBC (issue 14 item 3).

    .venv/bin/python benchmarks/bench_read.py                      # the demo schema at 75,000 customers (~1M rows)
    .venv/bin/python benchmarks/bench_read.py --customers 8000     # a quick look

Each method reads every table of the demo schema (built as in bench_vs_pynonymizer.py) into Arrow
record batches of 50,000 rows with the types the pipeline uses (``read.arrow_schema``):

- ``cursor``: ``read.read_table`` (psycopg named cursor, rows → Python objects → Arrow), the reference;
- ``copy-binary``: psycopg ``COPY (SELECT …) TO STDOUT (FORMAT binary)``, rows decoded by psycopg's C
  loaders, then the same Python-objects → Arrow step;
- ``adbc``: ``source.bulk.BulkReader`` (ADBC's PostgreSQL driver: COPY binary decoded in C++ into Arrow).

Prints CPU seconds of this process (user + system; the server's time is not included) and wall
seconds per method, best of ``--repeat``, with the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from anonymiser.schema import TableInfo
from anonymiser.source.bulk import BulkReader
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect
from anonymiser.source.read import _to_batch, arrow_schema, read_statements, read_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_vs_pynonymizer as harness  # noqa: E402  # the same demo source as the side-by-side benchmark

CHUNK = 50_000


def copy_binary(conn: object, table: TableInfo) -> Iterator[pa.RecordBatch]:
    statement = next(read_statements("postgresql", table))
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    raw = conn.connection.dbapi_connection  # type: ignore[attr-defined]
    schema = arrow_schema(table)
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
        types = [column.type_code for column in cursor.description]
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(types)
            rows = []
            for row in copy.rows():
                rows.append(row)
                if len(rows) == CHUNK:
                    yield _to_batch(rows, table, schema)
                    rows = []
            if rows:
                yield _to_batch(rows, table, schema)


def timed(read: Callable[[TableInfo], Iterator[pa.RecordBatch]], tables: list[TableInfo]) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    rows = sum(batch.num_rows for table in tables for batch in read(table))
    return time.process_time() - cpu, time.perf_counter() - wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=75_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database = f"bench_read_{uuid.uuid4().hex[:8]}"
    counts = harness.copy_to_postgres(harness.build_source_sqlite(args.customers), database)
    print(f"source: {sum(counts.values()):,} rows in {len(counts)} tables; load average {os.getloadavg()[0]:.2f}")
    try:
        url = f"postgresql://{harness.PG['user']}@{harness.PG['host']}:{harness.PG['port']}/{database}"
        with connect(url) as conn, BulkReader(conn) as adbc:
            tables = list(introspect(conn).tables.values())
            methods: dict[str, Callable[[TableInfo], Iterator[pa.RecordBatch]]] = {
                "cursor": lambda t: read_table(conn, t, chunk_rows=CHUNK),
                "copy-binary": lambda t: copy_binary(conn, t),
                "adbc": lambda t: adbc.read_table(t, chunk_rows=CHUNK),
            }
            for name, read in methods.items():
                runs = [timed(read, tables) for _ in range(args.repeat)]
                cpu = min(r[0] for r in runs)
                wall = min(r[1] for r in runs)
                rows = runs[0][2]
                print(f"{name:12s} {rows:,} rows  CPU {cpu:6.2f} s  wall {wall:6.2f} s  "
                      f"{rows / wall:,.0f} rows/s (wall)  {rows / cpu:,.0f} rows/CPU-s")
    finally:
        harness.drop_database(database)
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
