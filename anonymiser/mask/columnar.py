"""Series ⇄ Arrow conversion for strategies: whatever comes in, the same dtype and index go out.

The pipeline hands strategies ``pd.ArrowDtype`` Series; tests and the entity API may pass object or
``str`` Series. Strategies work on Arrow arrays and return through ``from_arrow`` so the result has
the input's length, index, name and (where the values allow) type.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow(values: pd.Series) -> pa.Array:
    """The Series as one Arrow array (nulls preserved); never a view the caller could see mutate."""
    if isinstance(values.dtype, pd.ArrowDtype):
        arr = pa.array(values.array)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if len(values) == 0:
        return pa.array([], pa.string())
    return pa.array(values.astype(object).where(values.notna(), None).to_numpy(dtype=object), from_pandas=True)


def as_text(arr: pa.Array) -> pa.Array:
    """A string view of any array (strategies that fake text also accept numeric identifiers)."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if pa.types.is_null(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_dictionary(arr.type):
        return as_text(arr.dictionary_decode())
    return pc.cast(arr, pa.string())


def from_arrow(result: pa.Array, like: pd.Series, arrow_type: pa.DataType | None = None) -> pd.Series:
    """Wrap ``result`` like ``like``: same index/name, cast back to ``arrow_type`` (or ``like``'s type)."""
    if isinstance(like.dtype, pd.ArrowDtype):
        target = arrow_type if arrow_type is not None else like.dtype.pyarrow_dtype
        if result.type != target:
            result = pc.cast(result, target)
        return pd.Series(pd.arrays.ArrowExtensionArray(result), index=like.index, name=like.name)
    if like.dtype == object or pd.api.types.is_string_dtype(like.dtype):
        obj = pd.Series(result.to_numpy(zero_copy_only=False), index=like.index, name=like.name, dtype=object)
        return obj if like.dtype == object else obj.astype(like.dtype)
    out = pd.Series(result.to_pandas(), index=like.index, name=like.name)
    return out.astype(like.dtype) if out.notna().all() or like.dtype.kind not in "iu" else out
