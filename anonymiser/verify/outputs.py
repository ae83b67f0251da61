"""Reading the written output back: Parquet files per table, and their checksums against the manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from anonymiser.errors import OutputError
from anonymiser.verify.model import FILE_MISMATCH, Failure
from anonymiser.write.manifest import FileEntry, Manifest, sha256_file
from anonymiser.write.parquet import BATCH_ROWS, read_batches


def parquet_files(directory: Path, manifest: Manifest, table: str) -> list[Path]:
    entry = manifest.tables.get(table)
    if entry is None:
        return []
    return [directory / f.path for f in entry.files if f.path.endswith(".parquet")]


def has_parquet(directory: Path, manifest: Manifest) -> bool:
    return any(parquet_files(directory, manifest, t) for t in manifest.tables)


def read_columns(directory: Path, manifest: Manifest, table: str, columns: list[str]) -> pa.Table:
    """The named columns of one output table, all parts concatenated (output tables are subsets)."""
    files = parquet_files(directory, manifest, table)
    if not files:
        raise OutputError(
            f"no Parquet file for table {table!r} in {directory}", table=table,
            hint="Verification reads the Parquet output: run with --format parquet (alone or with sql).",
        )
    parts = []
    for path in files:
        if not path.is_file():
            raise OutputError(f"{path} is listed in manifest.json but missing", table=table,
                              hint="Re-run 'anonymiser run': the output directory is incomplete.")
        parts.append(pq.read_table(path, columns=columns))
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


def iter_batches(directory: Path, manifest: Manifest, table: str,
                 columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The table's rows in batches of ``BATCH_ROWS`` (the last of each file shorter), a row group at a time."""
    for path in parquet_files(directory, manifest, table):
        if path.is_file():
            yield from read_batches(path, columns, BATCH_ROWS)


def check_files(directory: Path, manifest: Manifest) -> tuple[int, list[Failure]]:
    """Every file the manifest lists exists and has its recorded sha256."""
    failures: list[Failure] = []
    entries: list[tuple[str | None, FileEntry]] = [(t, f) for t, e in manifest.tables.items() for f in e.files]
    entries += [(None, f) for f in manifest.sql_files.values()]
    for table, entry in entries:
        path = directory / entry.path
        if not path.is_file():
            problem = "is missing"
        elif sha256_file(path) != entry.sha256:
            problem = "differs from the sha256 recorded in manifest.json"
        else:
            continue
        failures.append(Failure(reason=FILE_MISMATCH, gate="files", table=table, count=1,
                                message=f"output file {entry.path} {problem}"))
    return len(entries), failures
