from __future__ import annotations

import pandas as pd

from anonymiser.errors import MaskError
from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.mask.registry import register


@register
class Null(Strategy):
    name = "null"
    technique = "suppression"
    summary = "replace every value with NULL"

    def mask(self, values: pd.Series, ctx: MaskContext) -> pd.Series:
        if not ctx.column.nullable and len(values) and values.notna().any():
            raise MaskError(
                "cannot set a NOT NULL column to NULL",
                table=ctx.table,
                column=ctx.column.name,
                hint="Use 'redact' (a fixed placeholder) or a fake strategy for this column instead.",
            )
        return pd.Series(pd.NA, index=values.index, dtype=values.dtype)
