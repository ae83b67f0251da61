"""The unique check holds 8 bytes a row and compares exact fields only where fingerprints meet (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from anonymiser.verify import integrity

BATCHES = [pa.record_batch({"email": ["a@x.nz", "b@x.nz", None, "c@x.nz"], "n": [1, 2, 3, 4]}),
           pa.record_batch({"email": ["b@x.nz", "d@x.nz", "b@x.nz", "a@x.nz"], "n": [2, 2, 5, 9]})]


@pytest.fixture(autouse=True)
def _batches(monkeypatch: pytest.MonkeyPatch) -> None:
    def batches(directory: Any, manifest: Any, table: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
        for batch in BATCHES:
            yield batch.select(columns)
    monkeypatch.setattr(integrity, "iter_batches", batches)


def test_duplicates_are_counted_exactly() -> None:
    assert integrity._duplicates_by_hash(None, None, "t", ["email"]) == (7, 3)        # b twice more, a once more
    assert integrity._duplicates_by_hash(None, None, "t", ["email", "n"]) == (7, 1)   # (b, 2) twice


def test_a_fingerprint_collision_is_no_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integrity, "_fingerprints", lambda fields: np.zeros(len(fields[0]), np.uint64))
    assert integrity._duplicates_by_hash(None, None, "t", ["n"]) == (8, 2)             # 2 three times
    assert integrity._duplicates_by_hash(None, None, "t", ["email", "n"]) == (7, 1)
