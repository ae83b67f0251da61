"""Add keyed, bounded noise to numbers: ``relative: 0.1`` (±10 %) or ``absolute: 5`` (±5).

The draw is keyed by the value (or by column ``by``, so all rows of one entity move together),
hence deterministic across runs. Integers stay integers, decimals keep their scale.
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
        y = x + delta
        if pa.types.is_integer(t):
            info = np.iinfo(t.to_pandas_dtype())     # stay inside the column's integer range
            y = np.clip(np.round(y), float(info.min), np.nextafter(float(info.max), 0))
        noisy = pa.array(y, mask=np.asarray(arr.is_null()))
        if pa.types.is_decimal(t):
            noisy = pc.round(noisy, ndigits=t.scale)
        self.stats.cells += len(values)
        self.stats.nulls += arr.null_count
        return pc.cast(noisy, t)
