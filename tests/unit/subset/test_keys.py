"""Key-set operations: set difference with NULLs and composite keys, seeded ranking, per-parent limits."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.subset import keys as K


@pytest.mark.parametrize(
    ("left", "right", "columns", "expected"),
    [
        pytest.param({"a": [1, 2, 3]}, {"a": [2]}, ["a"], [{"a": 1}, {"a": 3}], id="single"),
        pytest.param({"a": [1, 2, None]}, {"a": [2]}, ["a"], [{"a": 1}, {"a": None}], id="null-never-member"),
        pytest.param({"a": [1, 1, 2], "b": ["x", "y", "x"]}, {"a": [1], "b": ["y"]}, ["a", "b"],
                     [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}], id="composite"),
        pytest.param({"a": [1]}, {"a": []}, ["a"], [{"a": 1}], id="empty-right"),
    ],
)
def test_anti_join(left: dict, right: dict, columns: list[str], expected: list[dict]) -> None:
    right_table = pa.table({k: pa.array(v, type=pa.table(left)[k].type) for k, v in right.items()})
    assert K.anti_join(pa.table(left), right_table, columns).to_pylist() == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"a": [3, 1, 3, None], "b": [1, 2, 1, 5]}, [(1, 2), (3, 1)], id="dedupe-and-drop-null"),
        pytest.param({"a": [None], "b": [1]}, [], id="all-null"),
    ],
)
def test_distinct(values: dict, expected: list[tuple]) -> None:
    got = K.distinct(pa.table(values, schema=pa.schema([("a", pa.int64()), ("b", pa.int64())])), ["a", "b"])
    assert sorted(zip(got["a"].to_pylist(), got["b"].to_pylist(), strict=True)) == expected


@settings(max_examples=40, deadline=None)
@given(keys=st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=60, unique=True),
       seed=st.integers(0, 2**31), count=st.integers(0, 60), shuffle_seed=st.integers(0, 1000))
def test_take_first_ignores_row_order(keys: list[int], seed: int, count: int, shuffle_seed: int) -> None:
    table = pa.table({"id": keys})
    shuffled = table.take(pa.array(np.random.default_rng(shuffle_seed).permutation(len(keys))))
    first = set(K.take_first(table, ["id"], seed, count)["id"].to_pylist())
    second = set(K.take_first(shuffled, ["id"], seed, count)["id"].to_pylist())
    assert first == second and len(first) == min(count, len(keys))


def test_seed_changes_the_sample() -> None:
    table = pa.table({"id": list(range(1000))})
    samples = {frozenset(K.take_first(table, ["id"], seed, 10)["id"].to_pylist()) for seed in range(5)}
    assert len(samples) == 5


def test_integer_and_text_keys_rank_alike() -> None:
    """The same key carried as int32, int64 or text ranks the same (dialect independence)."""
    ranks = [K.rank_order(pa.table({"id": pa.array([5, 17, 99, 1234], type=t)}), ["id"], 3).tolist()
             for t in (pa.int32(), pa.int64())]
    ranks.append(K.rank_order(pa.table({"id": ["5", "17", "99", "1234"]}), ["id"], 3).tolist())
    assert ranks[0] == ranks[1] == ranks[2]


@pytest.mark.parametrize("limit", [0, 1, 2, 5])
def test_limit_per_group(limit: int) -> None:
    parent = [1, 1, 1, 2, 2, 3, None, None]
    table = pa.table({"id": list(range(len(parent))), "parent": pa.array(parent, type=pa.int64())})
    kept = K.limit_per_group(table, ["parent"], ["id"], 7, limit)
    counts = kept.group_by("parent").aggregate([("id", "count")]).to_pylist()
    expected = {p: min(limit, parent.count(p)) for p in set(parent)}
    assert {c["parent"]: c["id_count"] for c in counts} == {p: n for p, n in expected.items() if n}
    reversed_kept = K.limit_per_group(table.take(pa.array(range(len(parent) - 1, -1, -1))), ["parent"], ["id"],
                                      7, limit)
    assert sorted(kept["id"].to_pylist()) == sorted(reversed_kept["id"].to_pylist())
