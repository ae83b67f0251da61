"""Arrow helpers every strategy shares: a text view of any column, and the way back to its type.

Strategies receive the chunk's ``pa.Array`` as read (strings, integers, dates …) and return an array
of the same length. Text fakes work on a string view (``as_text``) and return through ``cast_like``
so a numeric identifier column (a postcode stored as an integer) stays numeric.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (a table column may arrive chunked)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def as_text(arr: pa.Array) -> pa.Array:
    """A string view of any array (strategies that fake text also accept numeric identifiers)."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if pa.types.is_null(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_dictionary(arr.type):
        return as_text(arr.dictionary_decode())
    return pc.cast(arr, pa.string())


def cast_like(result: pa.Array, target: pa.DataType) -> pa.Array:
    """``result`` as ``target`` (the input's type), unless it already is; a null-typed input stays text."""
    if result.type == target or pa.types.is_null(target):
        return result
    return pc.cast(result, target)
