"""Shift dates and timestamps by a keyed number of days in [-max_days, max_days], never 0.

Without ``by`` the offset is keyed by the value itself (the same date always moves the same way);
with ``by: customer_id`` it is keyed by that column, so every date of one customer moves by the
same offset and intervals between them (age at admission, days between orders) are preserved.
Time of day and time zone are kept. ISO-8601 text dates (SQLite) are shifted in their own layout.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.errors import MaskError
from anonymiser.mask.base import MaskContext
from anonymiser.mask.keyed_rows import KeyedRowParams, KeyedRowStrategy, row_material
from anonymiser.mask.registry import register

_UNITS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_TEXT_FORMATS = {10: "%Y-%m-%d", 19: "%Y-%m-%d %H:%M:%S"}


class DateShiftParams(KeyedRowParams):
    max_days: int = Field(30, ge=1, le=36_500)
    domain: str = "date_shift"


def shift_days(arr: pa.Array, days: np.ndarray) -> pa.Array:
    t = arr.type
    if pa.types.is_date32(t):
        return pc.cast(pc.add(pc.cast(arr, pa.int32()), pa.array(days.astype(np.int32))), t)
    if pa.types.is_date64(t):
        return pc.cast(pc.add(pc.cast(arr, pa.int64()), pa.array(days * 86_400_000)), t)
    if pa.types.is_timestamp(t):
        moved = pc.add(pc.cast(arr, pa.int64()), pa.array(days * _UNITS_PER_DAY[t.unit]))
        return pc.cast(moved, t)
    raise TypeError(t)


@register
class DateShift(KeyedRowStrategy):
    name = "date_shift"
    params_model = DateShiftParams
    summary = "shift dates by a keyed offset (per value, or per entity with 'by')"
    technique = "randomisation"
    entities = ()
    leak_class = "dictionary"
    accepts = frozenset({"date", "datetime", "string", "text"})     # text: ISO-8601 dates (SQLite)

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        p = self.params
        assert isinstance(p, DateShiftParams)
        h = row_material(values, ctx, p.domain, p.by)
        magnitude = 1 + (h % np.uint64(p.max_days)).astype(np.int64)
        days = np.where((h >> np.uint64(63)) == 1, -magnitude, magnitude)
        arr = values
        self.stats.cells += len(values)
        self.stats.nulls += arr.null_count
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return self._shift_text(arr, days, ctx)
        try:
            return shift_days(arr, days)
        except TypeError:
            raise MaskError(
                f"date_shift needs a date, timestamp or ISO-8601 text column, not {arr.type}",
                table=ctx.table, column=ctx.column.name,
                hint="Use 'generalise' or 'noise' for numbers, or 'keep' with a reason.",
            ) from None

    def _shift_text(self, arr: pa.Array, days: np.ndarray, ctx: MaskContext) -> pa.Array:
        lengths = pc.fill_null(pc.utf8_length(arr), 0)
        out = arr
        handled = pc.equal(lengths, 0)       # NULL and '' stay as they are
        for length, fmt in _TEXT_FORMATS.items():
            rows = pc.equal(lengths, length)
            if not pc.any(rows).as_py():
                continue
            source = arr.filter(rows)
            stamps = pc.strptime(pc.replace_substring(source, "T", " "), format=fmt, unit="s", error_is_null=True)
            if stamps.null_count:
                break
            moved = pc.strftime(shift_days(stamps, days[rows.to_numpy(zero_copy_only=False)]), format=fmt)
            has_t = pc.match_substring(source, "T")
            out = pc.replace_with_mask(out, rows, pc.if_else(has_t, pc.replace_substring(moved, " ", "T"), moved))
            handled = pc.or_(handled, rows)
        if not pc.all(handled).as_py():
            raise MaskError(
                "date_shift found text that is not an ISO-8601 date (YYYY-MM-DD[ HH:MM:SS])",
                table=ctx.table, column=ctx.column.name,
                hint="Store dates in ISO-8601, or mask this column with 'redact' or 'generalise'.",
            )
        return out
