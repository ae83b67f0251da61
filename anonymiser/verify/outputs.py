"""Reading the written output back: Parquet files per table, and their checksums against the manifest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from anonymiser.errors import OutputError
from anonymiser.verify.model import FILE_MISMATCH, Failure
from anonymiser.write.manifest import FileEntry, Manifest, sha256_file
from anonymiser.write.parquet import BATCH_ROWS, read_batches

# Rows of an output file a leak-search worker searches at a time. Small batches keep every core busy to the end
# and stay in cache: at 75k demo customers on 2 cores, 65,536 rows gave 12.7 s wall (17.8 s CPU), 16,384
# rows 8.8 s (13.3 s CPU), 8,192 rows 9.4 s, 4,096 rows 11.0 s; one process 15.7 -> 13.3 s.
SEARCH_ROWS = 16_384
# Rows of an output file a worker is sent at a time (``Part``), searched in batches of SEARCH_ROWS: a part reads the
# row groups it overlaps whole (the run writes 50,000 rows a group), so parts of 16,384 rows decoded 3.8 rows a
# row searched, parts of 65,536 rows 1.5. A multiple of SEARCH_ROWS: the batches searched stay the same.
PART_ROWS = 4 * SEARCH_ROWS


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


@dataclass(frozen=True)
class Part:
    """Rows [start, stop) of one Parquet file, read apart from the others (``read_part``)."""

    path: Path
    start: int
    stop: int


def batch_parts(directory: Path, manifest: Manifest, table: str) -> list[Part]:
    """The table's rows in order, as parts of ``PART_ROWS`` rows (the last of each file shorter)."""
    parts = []
    for path in parquet_files(directory, manifest, table):
        if path.is_file():
            rows = pq.ParquetFile(path).metadata.num_rows
            parts += [Part(path, start, min(start + PART_ROWS, rows)) for start in range(0, rows, PART_ROWS)]
    return parts


def read_part(part: Part, columns: list[str] | None = None) -> pa.RecordBatch:
    """The rows ``part`` stands for, as one batch: its row groups read, then sliced."""
    file = pq.ParquetFile(part.path)
    held, first, at = [], None, 0
    for group in range(file.metadata.num_row_groups):
        rows = file.metadata.row_group(group).num_rows
        if at < part.stop and at + rows > part.start:
            first = at if first is None else first
            held.append(file.read_row_group(group, columns=columns))
        at += rows
    assert first is not None, "a part holds rows"
    joined = pa.concat_tables(held).slice(part.start - first, part.stop - part.start).combine_chunks()
    return joined.to_batches()[0]


def check_files(directory: Path, manifest: Manifest, *, tables: bool = True,
                sql: bool = True) -> tuple[int, list[Failure]]:
    """Every file the manifest lists exists and has its recorded sha256: the tables' files, then the SQL dumps."""
    failures: list[Failure] = []
    entries: list[tuple[str | None, FileEntry]] = []
    if tables:
        entries += [(t, f) for t, e in manifest.tables.items() for f in e.files]
    if sql:
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
