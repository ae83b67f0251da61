"""Add keyed, bounded noise to numbers: ``relative: 0.1`` (±10 %) or ``absolute: 5`` (±5).

The draw is keyed by the value (or by column ``by``, so all rows of one entity move together),
hence deterministic across runs. Integers stay integers, decimals keep their scale.

A noised value never equals its input (an unchanged salary is still the real one, and verification
fails a row that holds its own source value): where the bounded draw rounds back to the input (small
integers, ``relative`` noise on zero) the value moves by one unit of the column in the draw's direction
(1 for integers, the last decimal place for decimals, ``absolute`` or ``relative`` × max(|x|, 1) for
floats), so small numbers may move slightly beyond the relative bound.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from anonymiser.errors import MaskError
from anonymiser.mask.base import NUMERIC_KINDS, MaskContext
from anonymiser.mask.keyed_rows import KeyedRowParams, KeyedRowStrategy, row_material, unit_interval
from anonymiser.mask.registry import register


class NoiseParams(KeyedRowParams):
    relative: float | None = Field(None, gt=0, le=10)
    absolute: float | None = Field(None, gt=0)
    domain: str = "noise"

    @model_validator(mode="after")
    def _one_bound(self) -> NoiseParams:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("give exactly one of 'relative' or 'absolute'")
        return self


@register
class Noise(KeyedRowStrategy):
    name = "noise"
    params_model = NoiseParams
    summary = "add keyed bounded noise (relative or absolute) to numbers"
    technique = "randomisation"
    entities = ()
    leak_class = "dictionary"
    accepts = NUMERIC_KINDS

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        p = self.params
        assert isinstance(p, NoiseParams)
        arr = values
        t = arr.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
            raise MaskError(
                f"noise needs a numeric column, not {t}",
                table=ctx.table, column=ctx.column.name,
                hint="Use 'date_shift' for dates, or a fake/redact strategy for text.",
            )
        u = unit_interval(row_material(values, ctx, p.domain, p.by))
        x = pc.cast(arr, pa.float64(), safe=False).to_numpy(zero_copy_only=False)   # huge ints: approximate
        delta = u * p.absolute if p.absolute is not None else x * u * (p.relative or 0.0)
        direction = np.where(u < 0, -1.0, 1.0)
        if pa.types.is_integer(t):
            y = _moved(x, np.round(x + delta), direction, 1.0)
            info = np.iinfo(t.to_pandas_dtype())     # stay inside the column's integer range
            low, high = float(info.min), np.nextafter(float(info.max), 0)
            y = np.where(y > high, x - 1.0, np.where(y < low, x + 1.0, y))   # at a bound: move inwards
        elif pa.types.is_decimal(t):
            unit = 10.0 ** -t.scale
            y = _moved(x, np.round(x + delta, t.scale), direction, unit)
        else:
            step = p.absolute if p.absolute is not None else (p.relative or 0.0) * np.maximum(np.abs(x), 1.0)
            y = _moved(x, x + delta, direction, step)
        noisy = pa.array(y, mask=np.asarray(arr.is_null()))
        if pa.types.is_decimal(t):
            noisy = pc.round(noisy, ndigits=t.scale)
        self.stats.cells += len(values)
        self.stats.nulls += arr.null_count
        return pc.cast(noisy, t)


def _moved(x: np.ndarray, y: np.ndarray, direction: np.ndarray, unit: float | np.ndarray) -> np.ndarray:
    """``y``, except where it equals ``x``: there ``x`` moved by ``unit`` in ``direction``."""
    return np.where(y == x, x + direction * unit, y)
