from __future__ import annotations

import pyarrow as pa

from anonymiser.mask.base import ALL_KINDS, MaskContext, Strategy
from anonymiser.mask.registry import register


@register
class Keep(Strategy):
    name = "keep"
    summary = "copy the value unchanged (give a reason when the column is personal)"
    technique = "none"
    entities = ("DATE_TIME",)     # dates in prose are kept (see mask/entities.py)
    leak_class = None
    accepts = ALL_KINDS
    writes_values = False

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        return values       # Arrow arrays are immutable: passing it on cannot change the caller's data
