"""Array columns masked element by element: flatten the lists, mask the leaves as one column, rebuild.

A ``text[]`` of e-mails is masked by the ``email`` strategy as one flat string column of all its
elements (so each element gets the same pseudonym as the same address in a scalar column), and the
lists are rebuilt with the same lengths: a NULL array stays NULL, an empty array stays empty, a NULL
element stays NULL. Two-dimensional arrays (``list<list<…>>``) are flattened level by level. All of
it is Arrow compute and numpy over whole columns; nothing loops over rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# (leaf values, row of the chunk each leaf comes from) -> masked leaf values of the same length
LeafMasker = Callable[[pa.Array, np.ndarray], pa.Array]


def is_list(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type))


def map_leaves(values: pa.Array | pa.ChunkedArray, mask: LeafMasker) -> pa.Array:
    """``values`` (lists, any depth) with every leaf replaced by ``mask`` of all the leaves at once."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return _map(values, np.arange(len(values), dtype=np.int64), mask)


def _map(values: pa.Array, rows: np.ndarray, mask: LeafMasker) -> pa.Array:
    if not is_list(values.type):
        return mask(values, rows)
    flat = pc.list_flatten(values)                  # NULL lists emit nothing; NULL elements stay
    parents = np.asarray(pc.list_parent_indices(values), dtype=np.int64)
    masked = _map(flat, rows[parents], mask)
    if len(masked) != len(flat):
        raise ValueError(f"element mask returned {len(masked)} values for {len(flat)} elements")
    lengths = np.asarray(pc.fill_null(pc.list_value_length(values), 0), dtype=np.int64)
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    validity = values.is_null() if values.null_count else None
    if pa.types.is_large_list(values.type):
        return pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), masked, mask=validity)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32), pa.int32()), masked, mask=validity)
