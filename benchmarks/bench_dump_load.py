"""SQL dump and load benchmark: 1,000,000 rows (customers + orders, with a self-referencing FK) per
dialect. For each of PostgreSQL, MySQL/MariaDB and SQLite it times writing the dump, loading the dump
with the real client (psql / mariadb / sqlite3) and ``anonymiser load`` straight from Parquet, and
checks the row counts (``--checksum``: the full per-table checksums too, slower).

    .venv/bin/python benchmarks/bench_dump_load.py [--rows 1000000] [--dialects postgresql,mysql,sqlite]

Prints Markdown for benchmarks/RESULTS.md ("Dump and load").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymiser.load import load_dataset  # noqa: E402
from anonymiser.load.checksum import database_checksums, parquet_checksums  # noqa: E402
from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo  # noqa: E402
from anonymiser.source.read import arrow_schema  # noqa: E402
from anonymiser.write.manifest import Manifest, SourceFingerprint, TableEntry, file_entry  # noqa: E402
from anonymiser.write.parquet import TableWriter  # noqa: E402
from anonymiser.write.sql import write_dump  # noqa: E402
from tests import dbs  # noqa: E402

BATCH = 100_000
WORDS = np.array(["Tāmaki", "O'Brien", "back\\slash", "line\nbreak", "kia ora", "café", "100%", "quote\"d",
                  "plain", "semi;colon", "tab\tbed", "Ngāti", "order", "🥝"])


def col(name: str, kind: str, **facets: object) -> ColumnInfo:
    return ColumnInfo(name=name, kind=kind, sql_type=kind, **facets)  # type: ignore[arg-type]


CUSTOMER = TableInfo(name="customer", columns=(
    col("id", "integer", nullable=False, bits=64), col("name", "string", length=100),
    col("email", "string", nullable=False, length=200), col("notes", "text"),
    col("balance", "decimal", precision=12, scale=2), col("created", "datetime", timezone=True),
    col("active", "boolean"), col("referred_by", "integer", bits=64),
), primary_key=("id",), unique=(("email",),),
    foreign_keys=(ForeignKey(columns=("referred_by",), ref_table="customer", ref_columns=("id",)),))
ORDER = TableInfo(name="order", columns=(
    col("id", "integer", nullable=False, bits=64), col("customer_id", "integer", nullable=False, bits=64),
    col("amount", "decimal", precision=10, scale=2), col("placed_at", "datetime"),
    col("status", "string", length=20), col("note", "text"),
), primary_key=("id",), foreign_keys=(ForeignKey(columns=("customer_id",), ref_table="customer",
                                                 ref_columns=("id",)),))


def _text(rng: np.random.Generator, n: int, words: int) -> pa.Array:
    parts = [pa.array(WORDS[rng.integers(0, len(WORDS), n)]) for _ in range(words)]
    return pa.compute.binary_join_element_wise(*parts, " ")


def _money(cents: np.ndarray, precision: int) -> pa.Array:
    units = pa.array(cents // 100).cast(pa.string())
    fraction = pa.compute.utf8_lpad(pa.array(cents % 100).cast(pa.string()), width=2, padding="0")
    return pa.compute.binary_join_element_wise(units, fraction, ".").cast(pa.decimal128(precision, 2))


def _customers(rng: np.random.Generator, start: int, n: int) -> pa.RecordBatch:
    ids = np.arange(start, start + n, dtype=np.int64)
    referred = np.where(rng.random(n) < 0.3, rng.integers(1, max(start, 2), n), -1)  # earlier customers only
    created = np.datetime64("2020-01-01T00:00:00", "us") + rng.integers(0, 5 * 365 * 86_400 * 10**6, n)
    balance = _money(rng.integers(0, 10**8, n), 12)
    return pa.RecordBatch.from_pydict({
        "id": ids, "name": _text(rng, n, 2),
        "email": pa.compute.binary_join_element_wise(pa.array(ids.astype(str)), "@example.nz", ""),
        "notes": pa.compute.if_else(pa.array(rng.random(n) < 0.2), pa.scalar(None, pa.string()), _text(rng, n, 8)),
        "balance": balance, "created": pa.array(created).cast(pa.timestamp("us", tz="UTC")),
        "active": pa.array(rng.random(n) < 0.8),
        "referred_by": pa.array(referred, mask=referred < 1),
    }, schema=arrow_schema(CUSTOMER))


def _orders(rng: np.random.Generator, start: int, n: int, customers: int) -> pa.RecordBatch:
    placed = np.datetime64("2021-01-01T00:00:00", "us") + rng.integers(0, 4 * 365 * 86_400 * 10**6, n)
    amount = _money(rng.integers(0, 10**7, n), 10)
    status = np.array(["new", "paid", "shipped", "cancelled", "refunded"])[rng.integers(0, 5, n)]
    return pa.RecordBatch.from_pydict({
        "id": np.arange(start, start + n, dtype=np.int64), "customer_id": rng.integers(1, customers + 1, n),
        "amount": amount, "placed_at": pa.array(placed), "status": pa.array(status),
        "note": pa.compute.if_else(pa.array(rng.random(n) < 0.5), pa.scalar(None, pa.string()), _text(rng, n, 4)),
    }, schema=arrow_schema(ORDER))


def build(directory: Path, rows: int) -> Manifest:
    rng = np.random.default_rng(7)
    customers = rows // 10
    entries = {}
    for info, total, make in ((CUSTOMER, customers, lambda s, n: _customers(rng, s, n)),
                              (ORDER, rows - customers, lambda s, n: _orders(rng, s, n, customers))):
        with TableWriter(directory, info.name, arrow_schema(info)) as writer:
            for start in range(1, total + 1, BATCH):
                writer.write(make(start, min(BATCH, total - start + 1)))
        entries[info.name] = TableEntry(rows=writer.rows, files=[file_entry(directory, writer.path)])
    schema = SchemaInfo(dialect="postgresql", tables={"customer": CUSTOMER, "order": ORDER})
    manifest = Manifest(run_id="bench", started_at=dt.datetime.now(dt.UTC).isoformat(), key_id="bench",
                        source=SourceFingerprint(dialect="postgresql", schema_hash=schema.fingerprint()),
                        schema=schema, load_order=schema.load_order(), tables=entries, formats=["parquet"])
    manifest.write(directory)
    return manifest


@contextmanager
def database(dialect: str, scratch: Path, label: str) -> Iterator[str]:
    if dialect == "postgresql":
        with dbs.postgres_database("anon_bench") as url:
            yield url
    elif dialect == "mysql":
        with dbs.mariadb_database("anon_bench") as url:
            yield url
    else:
        path = scratch / f"{label}.sqlite"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)


def client(dialect: str, url: str, script: Path) -> None:
    from tests.integration.test_dump import run_client

    done = run_client(dialect, url, script)
    if done.returncode:
        raise SystemExit(f"{dialect} client failed: {done.stderr.decode(errors='replace')[-500:]}")


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def check(url: str, directory: Path, manifest: Manifest, expected: dict[str, object] | None) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        if expected is not None:
            assert dict(database_checksums(conn, directory, manifest)) == expected, url
        for table, entry in manifest.tables.items():
            quoted = conn.dialect.identifier_preparer.quote(table)
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {quoted}")).scalar_one() == entry.rows, table
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dialects", default="postgresql,mysql,sqlite")
    parser.add_argument("--checksum", action="store_true", help="compare full per-table checksums as well")
    args = parser.parse_args()
    pa.set_cpu_count(1)
    with tempfile.TemporaryDirectory(prefix="bench_dump_") as tmp:
        directory = Path(tmp)
        manifest = build(directory, args.rows)
        expected = dict(parquet_checksums(directory, manifest)) if args.checksum else None
        print(f"rows: {args.rows:,} (customer {manifest.tables['customer'].rows:,}, order "
              f"{manifest.tables['order'].rows:,}); load average {os.getloadavg()[0]:.1f}\n")
        print("| dialect | dump (s) | dump MB | rows/s (dump) | peak Arrow MB | client load (s) | "
              "`anonymiser load` (s) | rows/s (load) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for dialect in args.dialects.split(","):
            pool = pa.default_memory_pool()
            pool.release_unused()
            before_peak = pool.max_memory() or 0
            dump_s = timed(lambda d=dialect: write_dump(directory, manifest, d))  # type: ignore[misc]
            script = directory / "sql" / f"{dialect}.sql"
            with database(dialect, directory, "client") as url:
                client_s = timed(lambda u=url, d=dialect, s=script: client(d, u, s))  # type: ignore[misc]
                check(url, directory, manifest, expected)
            with database(dialect, directory, "load") as url:
                load_s = timed(lambda u=url: load_dataset(directory, u, allow_failed=True))  # type: ignore[misc]
                check(url, directory, manifest, expected)
            peak = max(pool.max_memory() or 0, before_peak) / 2**20
            print(f"| {dialect} | {dump_s:.1f} | {script.stat().st_size / 2**20:.0f} | {args.rows / dump_s:,.0f} | "
                  f"{peak:.0f} | {client_s:.1f} | {load_s:.1f} | {args.rows / load_s:,.0f} |", flush=True)
            script.unlink()
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
