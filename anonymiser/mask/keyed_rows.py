"""Keyed per-row material for strategies that are not text fakes (date shift, noise): 64 bits per
row from the PRF of either the value itself or another column's value (``by``), so every row of
one entity (one customer id, say) gets the same draw."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask import columnar
from anonymiser.mask.base import MaskContext, Strategy, StrategyParams
from anonymiser.mask.core import normalise, prf

NULL_MARKER = "\x00null"     # rows whose key is NULL share one draw (never equal to a real value)


class KeyedRowParams(StrategyParams):
    by: str | None = None    # another column of the row that keys the draw (one draw per entity)


class KeyedRowStrategy(Strategy):
    """A strategy whose per-row draw may be keyed by another column (``by``), which it then reads."""

    def referenced_columns(self) -> list[str]:
        assert isinstance(self.params, KeyedRowParams)
        return [self.params.by] if self.params.by else []


def row_material(values: pa.Array, ctx: MaskContext, domain: str, by: str | None) -> np.ndarray:
    """uint64 keyed material per row, keyed by ``values`` or by column ``by`` of ``ctx.batch``."""
    arr = values if by is None else columnar.flat(ctx.other_column(by))
    if pa.types.is_integer(arr.type):
        # Integer keys (customer_id) factorise much faster as integers; the draw is still keyed by
        # each value's text, exactly as below.
        encoded = pc.dictionary_encode(arr, null_encoding="encode")
        keys = pc.fill_null(encoded.dictionary.cast(pa.string()), NULL_MARKER)
    else:
        encoded = pc.dictionary_encode(pc.fill_null(columnar.as_text(arr), NULL_MARKER))
        keys = encoded.dictionary
    h = prf(ctx.key, domain, normalise(keys, "text"))[:, 0]
    return h[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)] if len(arr) else h[:0]


def unit_interval(h: np.ndarray) -> np.ndarray:
    """Uniform floats in [-1, 1) from 64-bit material (53 bits of precision)."""
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 52) - 1.0


