"""Parquet per table, streamed batch by batch (bounded memory), types preserved."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from anonymiser.write.manifest import safe_file_stem

PARQUET_DIR = "parquet"


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
