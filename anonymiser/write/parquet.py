"""Parquet per table, streamed batch by batch (bounded memory), types preserved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from anonymiser.write.manifest import safe_file_stem

PARQUET_DIR = "parquet"
BATCH_ROWS = 65_536


def table_path(directory: Path, table: str) -> Path:
    return directory / PARQUET_DIR / f"{safe_file_stem(table)}.parquet"


class TableWriter:
    """Writes one table's batches to ``parquet/<table>.parquet``; an empty table still gets a file."""

    def __init__(self, directory: Path, table: str, schema: pa.Schema) -> None:
        self.path = table_path(directory, table)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows = 0
        self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self._writer.write_batch(batch)
            self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def read_batches(path: Path, columns: list[str] | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """A Parquet file's rows in batches of ``batch_rows`` (the last shorter), as ``ParquetFile.iter_batches``
    cuts them, but read a row group at a time: ``iter_batches`` keeps buffers as it goes (Arrow's allocation
    grows by ~30 MB per million rows read, ~300 MB over a 10M-row table), a row group read alone is freed
    with its batches. The dump, ``load`` and verification all read the output this way."""
    file = pq.ParquetFile(path)
    held: list[pa.Table] = []
    rows = 0
    for group in range(file.metadata.num_row_groups):
        part = file.read_row_group(group, columns=columns)
        held.append(part)
        rows += part.num_rows
        while rows >= batch_rows:
            joined = pa.concat_tables(held)
            yield from joined.slice(0, batch_rows).combine_chunks().to_batches()
            rest = joined.slice(batch_rows).combine_chunks()   # a copy: the row groups read are let go
            held, rows = [rest], rest.num_rows
    if rows:
        yield from pa.concat_tables(held).combine_chunks().to_batches()
