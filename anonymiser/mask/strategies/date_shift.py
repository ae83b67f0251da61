"""Shift dates and timestamps by a keyed number of days in [-max_days, max_days], never 0.

Without ``by`` the offset is keyed by the value itself (the same date always moves the same way);
with ``by: customer_id`` it is keyed by that column, so every date of one customer moves by the
same offset and intervals between them (age at admission, days between orders) are preserved.
Time of day and time zone are kept. Dates stored as text (SQLite, legacy columns) are shifted in their
own layout: ISO-8601 (``YYYY-MM-DD``, with ``HH:MM:SS`` after a space or ``T``) and the New Zealand
``DD/MM/YYYY`` (``D/M/YYYY`` too). Other text stops the run, naming the column, unless the rule says
``invalid: null``: then those cells become NULL and the manifest counts them (``invalid_nulled``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.errors import MaskError
from anonymiser.mask.base import InvalidCells, MaskContext
from anonymiser.mask.keyed_rows import KeyedRowParams, KeyedRowStrategy, row_material
from anonymiser.mask.registry import register
from anonymiser.schema import DATE_INFINITY, TIMESTAMP_INFINITY

_UNITS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
# Text layouts, each with the pattern a cell must match whole before it is parsed in that layout.
_TEXT_LAYOUTS = (
    (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    (r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$", "%Y-%m-%d %H:%M:%S"),
    (r"^\d{2}/\d{2}/\d{4}$", "%d/%m/%Y"),
    (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),        # 3/7/1975: written back zero-padded
)


class DateShiftParams(KeyedRowParams):
    max_days: int = Field(30, ge=1, le=36_500)
    domain: str = "date_shift"
    invalid: InvalidCells = "fail"     # text cells that are no date in a known layout


def shift_days(arr: pa.Array, days: np.ndarray) -> pa.Array:
    """Each value moved by its number of days; PostgreSQL's infinity (the storage extremes) stays infinite."""
    t = arr.type
    if pa.types.is_date32(t):
        raw, step, extremes = pc.cast(arr, pa.int32()), pa.array(days.astype(np.int32)), DATE_INFINITY
    elif pa.types.is_date64(t):
        raw, step, extremes = pc.cast(arr, pa.int64()), pa.array(days * 86_400_000), None
    elif pa.types.is_timestamp(t):
        raw, step = pc.cast(arr, pa.int64()), pa.array(days * _UNITS_PER_DAY[t.unit])
        extremes = TIMESTAMP_INFINITY if t.unit == "us" else None
    else:
        raise TypeError(t)
    moved = pc.add(raw, step)
    if extremes is not None:
        infinite = pc.fill_null(pc.is_in(raw, pa.array(extremes, raw.type)), False)
        moved = pc.if_else(infinite, raw, moved)
    return pc.cast(moved, t)


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
        p = self.params
        assert isinstance(p, DateShiftParams)
        out = arr
        handled = pc.fill_null(pc.equal(pc.utf8_length(arr), 0), True)      # NULL and '' stay as they are
        for pattern, fmt in _TEXT_LAYOUTS:
            rows = pc.fill_null(pc.and_(pc.invert(handled), pc.match_substring_regex(arr, pattern)), False)
            if not pc.any(rows).as_py():
                continue
            source = arr.filter(rows)
            stamps = pc.strptime(pc.replace_substring(source, "T", " "), format=fmt, unit="s", error_is_null=True)
            parsed = pc.is_valid(stamps)                 # cells of the layout that the parser still refuses
            rows_np = rows.to_numpy(zero_copy_only=False)
            moved = pc.strftime(shift_days(stamps, days[rows_np]), format=fmt)
            moved = pc.if_else(pc.match_substring(source, "T"), pc.replace_substring(moved, " ", "T"), moved)
            taken = np.zeros(len(arr), dtype=bool)
            taken[np.flatnonzero(rows_np)[parsed.to_numpy(zero_copy_only=False)]] = True
            out = pc.replace_with_mask(out, pa.array(taken), moved.filter(parsed))
            handled = pc.or_(handled, pa.array(taken))
        invalid = pc.invert(handled)
        count = pc.sum(pc.cast(invalid, pa.int64())).as_py() or 0
        if count and p.invalid == "null":
            self.stats.count("invalid_nulled", count)
            return pc.if_else(invalid, pa.scalar(None, arr.type), out)
        if count:
            raise MaskError(
                f"date_shift found {count} text value(s) that are no date in a known layout (YYYY-MM-DD, "
                "YYYY-MM-DD HH:MM:SS, DD/MM/YYYY)",
                table=ctx.table, column=ctx.column.name,
                hint="Add 'invalid: null' to the rule to blank those cells (counted in the manifest), or mask the "
                     "column with 'redact' or 'null'.",
            )
        return out
