from __future__ import annotations

import pandas as pd

from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.mask.registry import register


@register
class Keep(Strategy):
    name = "keep"
    technique = "none"
    summary = "copy the value unchanged (give a reason when the column is personal)"

    def mask(self, values: pd.Series, ctx: MaskContext) -> pd.Series:
        return values.copy()
