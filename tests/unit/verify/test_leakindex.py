"""The leak index built one column at a time holds what one global build held (bounded memory, issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from anonymiser.verify import leakindex
from anonymiser.verify.leakindex import COMPOSITE, LOOSE, STRICT, Distinct, Index, Target
from anonymiser.verify.model import LeakColumn


def _reference(columns: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """One global build: every value once, at its highest level, owned by the first column that has it there."""
    best: dict[int, tuple[int, int]] = {}
    best_compact: dict[int, int] = {}
    for owner, (cls, full, strict, compact) in enumerate(columns):
        high = COMPOSITE if cls == "composite" else STRICT
        for h, flag in zip(full.tolist(), strict.tolist(), strict=True):
            level = high if flag else LOOSE
            if h not in best or level > best[h][0]:
                best[h] = (level, owner)
        for h in compact.tolist():
            best_compact.setdefault(h, owner)
    keys = sorted(best)
    return {"hashes": np.array(keys, np.uint64), "level": np.array([best[k][0] for k in keys], np.int8),
            "owner": np.array([best[k][1] for k in keys], np.int32),
            "compact": np.array(sorted(best_compact), np.uint64),
            "compact_owner": np.array([best_compact[k] for k in sorted(best_compact)], np.int32)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_built_column_by_column_equals_one_global_build(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leakindex, "MERGE_MIN", 50)    # many merges of the chunks
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**64, size=600, dtype=np.uint64)       # overlapping values between columns
    columns, index = [], Index()
    for owner, cls in enumerate(["identifier", "dictionary", "composite", "identifier", "default", "composite"]):
        target = Target("t", f"c{owner}", cls, LeakColumn(table="t", column=f"c{owner}", value_class=cls,
                                                           distinct_values=0, strict_values=0))
        full_all, strict_all, compact_all = [], [], []
        for _ in range(8):                                            # chunks, with repeats inside and across
            full = rng.choice(pool, size=40)
            strict = (full % np.uint64(3) == 0) if cls != "dictionary" else np.zeros(40, bool)  # a value's property
            compact = rng.choice(pool[:200], size=5)
            target.full.add(full, strict)
            target.compact.add(compact)
            full_all.append(full), strict_all.append(strict), compact_all.append(compact)
        columns.append((cls, np.concatenate(full_all), np.concatenate(strict_all), np.concatenate(compact_all)))
        index.add(owner, target)
        assert len(target.full.hashes) == 0     # released once merged into the index
    expected = _reference(columns)
    for name, array in expected.items():
        assert np.array_equal(getattr(index, name), array), name


def test_distinct_keeps_each_hash_once_with_any_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leakindex, "MERGE_MIN", 3)
    d = Distinct(flagged=True)
    d.add(np.array([5, 1, 5], np.uint64), np.array([False, False, True]))
    d.add(np.array([9, 1], np.uint64), np.array([False, False]))
    d.merge()
    assert d.hashes.tolist() == [1, 5, 9] and d.flags is not None and d.flags.tolist() == [False, True, False]
