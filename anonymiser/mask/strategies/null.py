from __future__ import annotations

import pyarrow as pa

from anonymiser.mask.base import ALL_KINDS, MaskContext, Strategy
from anonymiser.mask.registry import register
from anonymiser.schema import ColumnInfo


@register
class Null(Strategy):
    name = "null"
    summary = "replace every value with NULL"
    technique = "suppression"
    entities = ()
    leak_class = None
    accepts = ALL_KINDS
    writes_values = False

    def rejects(self, column: ColumnInfo) -> str | None:
        if not column.nullable:
            return "'null' cannot mask a NOT NULL column; use 'redact' (a fixed placeholder) or a fake strategy"
        return super().rejects(column)

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        return pa.nulls(len(values), values.type)
