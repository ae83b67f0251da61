"""One Parquet reader for the dump, ``load`` and verification: a row group at a time (bounded memory), cut
into the batches ``ParquetFile.iter_batches`` gives (the dump's INSERT statements follow them)."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymiser.write.parquet import read_batches

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("tags", pa.list_(pa.int32())),
                    ("price", pa.decimal128(12, 2)), ("blob", pa.binary())])


def _file(path: Path, groups: list[int]) -> Path:
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for n in groups:
            writer.write_batch(pa.record_batch([
                pa.array(range(n), pa.int64()), pa.array([None if i % 5 == 0 else f"v{i}" for i in range(n)]),
                pa.array([[i, i + 1] if i % 3 else None for i in range(n)], pa.list_(pa.int32())),
                pa.array(range(n), pa.int32()).cast(pa.decimal128(12, 2)), pa.array([b"x" * (i % 4) for i in range(n)]),
            ], schema=SCHEMA))
    return path


@pytest.mark.parametrize("seed", range(12))
def test_same_batches_as_iter_batches(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = _file(tmp_path / "t.parquet", [rng.choice([0, 1, 7, 100, 999, 2500]) for _ in range(rng.randrange(0, 5))])
    for columns in (None, ["name", "id"], ["tags"]):
        for rows in (1, 7, 1000, 65_536):
            expected = [b for b in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=columns) if b.num_rows]
            got = list(read_batches(path, columns, rows))
            assert [b.num_rows for b in got] == [b.num_rows for b in expected]
            assert all(a.equals(b) for a, b in zip(got, expected, strict=True))
