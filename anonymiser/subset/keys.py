"""Key sets as Arrow tables: distinct, set difference, seeded ranking, per-parent limits.

Everything here is vectorised over whole key columns. Key sets hold only key and foreign-key
columns of the kept rows, so memory grows with the subset, not with the source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.lazy import lazy_import

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)


def empty_like(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def drop_null_keys(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Rows whose ``columns`` are all non-NULL (a NULL in a foreign key requires no parent)."""
    if table.num_rows == 0 or not columns:
        return table
    mask = pc.is_valid(table[columns[0]])
    for name in columns[1:]:
        mask = pc.and_(mask, pc.is_valid(table[name]))
    return table.filter(mask)


def distinct(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The distinct non-NULL ``columns`` tuples of ``table``."""
    keys = drop_null_keys(table.select(list(columns)), columns)
    if keys.num_rows == 0:
        return keys
    return keys.group_by(list(columns), use_threads=False).aggregate([]).select(list(columns))


def distinct_rows(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """One row of ``table`` per distinct ``columns`` tuple (the first one; NULL tuples dropped)."""
    table = drop_null_keys(table, columns)
    if table.num_rows <= 1:
        return table
    frame = table.select(list(columns)).to_pandas(types_mapper=pd.ArrowDtype)
    first = ~frame.duplicated(keep="first").to_numpy()
    return table.filter(pa.array(first)) if not first.all() else table


def member_mask(left: pa.Table, right: pa.Table, columns: Sequence[str]) -> pa.Array:
    """True where the ``columns`` tuple of a ``left`` row occurs in ``right``."""
    if right.num_rows == 0 or left.num_rows == 0:
        return pa.array(np.zeros(left.num_rows, dtype=bool))
    if len(columns) == 1:
        name = columns[0]
        values = right[name].combine_chunks()
        return pc.fill_null(pc.is_in(left[name], value_set=values), False)
    marker = "__anon_member__"
    probe = distinct(right, columns)
    probe = probe.append_column(marker, pa.array(np.ones(probe.num_rows, dtype=bool)))
    index = "__anon_row__"
    numbered = left.select(list(columns)).append_column(index, pa.array(np.arange(left.num_rows)))
    joined = numbered.join(probe, keys=list(columns), join_type="left outer", use_threads=False)
    order = pc.sort_indices(joined[index])
    hits = pc.fill_null(pc.take(joined[marker], order), False)
    return hits.combine_chunks() if isinstance(hits, pa.ChunkedArray) else hits


def anti_join(left: pa.Table, right: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Rows of ``left`` whose ``columns`` tuple is not in ``right``."""
    if right.num_rows == 0 or left.num_rows == 0:
        return left
    return left.filter(pc.invert(member_mask(left, right, columns)))


def semi_join(left: pa.Table, right: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Rows of ``left`` whose ``columns`` tuple is in ``right``."""
    return left.filter(member_mask(left, right, columns))


def concat(tables: Sequence[pa.Table]) -> pa.Table:
    tables = [t for t in tables if t is not None]
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def seed_key(seed: int, purpose: str) -> str:
    """The 16-character siphash key pandas wants, derived from the policy's seed."""
    return hashlib.blake2b(f"{purpose}:{seed}".encode(), digest_size=8).hexdigest()


def seeded_hash(table: pa.Table, columns: Sequence[str], seed: int) -> np.ndarray:
    """A uint64 per row from the seed and the key's text form.

    Keys are hashed as text so the same key ranks the same in SQLite, PostgreSQL and MariaDB
    whatever integer width or driver type carried it.
    """
    if table.num_rows == 0:
        return np.zeros(0, dtype=np.uint64)
    text = {
        f"k{i}": pc.fill_null(pc.cast(table[name], pa.string()), "\x00").to_numpy(zero_copy_only=False)
        for i, name in enumerate(columns)
    }
    frame = pd.DataFrame({k: v.astype(object) for k, v in text.items()})
    hashed = pd.util.hash_pandas_object(frame, index=False, hash_key=seed_key(seed, "rank"),
                                        categorize=False)
    return hashed.to_numpy(dtype=np.uint64)


def rank_order(table: pa.Table, columns: Sequence[str], seed: int) -> np.ndarray:
    """Row indices ordered by the seeded hash of ``columns``: independent of physical row order."""
    hashed = seeded_hash(table, columns, seed)
    order = np.argsort(hashed, kind="stable")
    if not (hashed[order][1:] == hashed[order][:-1]).any():
        return order
    # A 64-bit collision: break the tie by the key text, which is independent of row order too.
    frame = pd.DataFrame({"h": hashed})
    for i, name in enumerate(columns):
        frame[f"k{i}"] = pc.cast(table[name], pa.string()).to_numpy(zero_copy_only=False)
    return frame.sort_values(list(frame.columns), kind="stable").index.to_numpy()


def take_first(table: pa.Table, columns: Sequence[str], seed: int, count: int) -> pa.Table:
    """The ``count`` rows ranked first by the seeded hash of ``columns``."""
    if count >= table.num_rows:
        return table
    order = rank_order(table, columns, seed)[:count]
    return table.take(pa.array(np.sort(order)))


def limit_per_group(table: pa.Table, group: Sequence[str], rank: Sequence[str], seed: int,
                    limit: int) -> pa.Table:
    """At most ``limit`` rows per ``group`` tuple, the first ones by the seeded hash of ``rank``."""
    if table.num_rows == 0:
        return table
    frame = table.select(list(group)).to_pandas(types_mapper=pd.ArrowDtype)
    frame["__h"] = seeded_hash(table, rank, seed)
    frame["__i"] = np.arange(table.num_rows)
    ordered = frame.sort_values([*group, "__h", "__i"], kind="stable")
    position = ordered.groupby(list(group), sort=False, dropna=False).cumcount().to_numpy()
    keep = np.sort(ordered["__i"].to_numpy()[position < limit])
    return table.take(pa.array(keep))
