"""Generalise values to coarser ones (ISO/IEC 20889 generalisation).

- ``to: year | month | decade``: dates/timestamps are truncated to the first day of the period
  (time zone respected), keeping the column's type so the staging schema is unchanged.
- ``to: region``: NZ postcodes → region name (NZ Post postcode ranges, coarse; see ``REGIONS``).
  The column becomes text, so ``output_column`` changes its type.
- ``to: band`` with ``width``: numbers → the lower bound of their band (``37`` → ``30`` for width
  10), keeping the numeric type.
Not keyed: the same value always gives the same output, and nothing here can be reversed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import model_validator

from anonymiser.errors import MaskError
from anonymiser.mask import columnar
from anonymiser.mask.base import NUMERIC_KINDS, TEMPORAL_KINDS, MaskContext, Strategy, StrategyParams
from anonymiser.mask.registry import register
from anonymiser.schema import ColumnInfo, ColumnKind

# (first postcode, last postcode, region), by NZ Post's postcode blocks (approximate at the edges).
REGIONS: tuple[tuple[int, int, str], ...] = (
    (100, 599, "Northland"), (600, 2699, "Auckland"), (3000, 3199, "Bay of Plenty"),
    (2700, 2999, "Waikato"), (3200, 3999, "Waikato"), (4000, 4099, "Gisborne"),
    (4100, 4299, "Hawke's Bay"), (4300, 4399, "Taranaki"), (4600, 4699, "Taranaki"),
    (4400, 4599, "Manawatū-Whanganui"), (4700, 4999, "Manawatū-Whanganui"), (5000, 6999, "Wellington"),
    (7000, 7199, "Nelson-Tasman"), (7200, 7299, "Marlborough"), (7800, 7899, "West Coast"),
    (7300, 7799, "Canterbury"), (7900, 8999, "Canterbury"), (9000, 9599, "Otago"), (9600, 9999, "Southland"),
)
UNKNOWN_REGION = "Unknown"
_REGION_NAMES = sorted({r for _, _, r in REGIONS} | {UNKNOWN_REGION})
POSTCODE_KINDS: frozenset[ColumnKind] = frozenset({"string", "text", "integer"})


class GeneraliseParams(StrategyParams):
    to: Literal["year", "month", "decade", "region", "band"]
    width: float | None = None

    @model_validator(mode="after")
    def _width_for_band(self) -> GeneraliseParams:
        if (self.to == "band") != (self.width is not None):
            raise ValueError("'width' is required with 'to: band' and only allowed there")
        if self.width is not None and self.width <= 0:
            raise ValueError("'width' must be positive")
        return self


def postcode_regions(codes: np.ndarray) -> np.ndarray:
    """Index into ``_REGION_NAMES`` per postcode (-1 input → Unknown)."""
    lookup = np.full(10_000, _REGION_NAMES.index(UNKNOWN_REGION), dtype=np.int64)
    for lo, hi, region in REGIONS:
        lookup[lo:hi + 1] = _REGION_NAMES.index(region)
    valid = (codes >= 0) & (codes < 10_000)
    return np.where(valid, lookup[np.clip(codes, 0, 9_999)], _REGION_NAMES.index(UNKNOWN_REGION))


@register
class Generalise(Strategy):
    name = "generalise"
    params_model = GeneraliseParams
    summary = "coarsen: date → year/month/decade, postcode → region, number → band"
    technique = "generalisation"
    entities = ()
    leak_class = "dictionary"
    accepts = TEMPORAL_KINDS | POSTCODE_KINDS | NUMERIC_KINDS

    def accepted_kinds(self) -> frozenset[ColumnKind]:
        assert isinstance(self.params, GeneraliseParams)
        return {"region": POSTCODE_KINDS, "band": NUMERIC_KINDS}.get(self.params.to, TEMPORAL_KINDS)

    def output_column(self, column: ColumnInfo) -> ColumnInfo:
        assert isinstance(self.params, GeneraliseParams)
        if self.params.to != "region":
            return column
        longest = max(len(r) for r in _REGION_NAMES)
        return column.model_copy(update={"kind": "string", "sql_type": f"VARCHAR({longest})", "length": longest,
                                         "precision": None, "scale": None, "bits": None})

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        p = self.params
        assert isinstance(p, GeneraliseParams)
        arr = values
        self.stats.cells += len(values)
        self.stats.nulls += arr.null_count
        try:
            if p.to in ("year", "month", "decade"):
                multiple, unit = (10, "year") if p.to == "decade" else (1, p.to)
                return pc.floor_temporal(arr, multiple=multiple, unit=unit)
            if p.to == "region":
                return self._regions(arr)
            assert p.width is not None
            return self._band(arr, p.width)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, TypeError):
            raise MaskError(
                f"generalise 'to: {p.to}' does not apply to a {arr.type} column",
                table=ctx.table, column=ctx.column.name,
                hint="year/month/decade need dates, region needs NZ postcodes, band needs numbers.",
            ) from None

    @staticmethod
    def _regions(arr: pa.Array) -> pa.Array:
        text = pc.utf8_trim_whitespace(columnar.as_text(arr))
        digits = pc.fill_null(pc.match_substring_regex(text, r"^\d{3,4}$"), False)
        codes = pc.cast(pc.if_else(digits, text, "-1"), pa.int64()).to_numpy(zero_copy_only=False)
        names = pa.array(_REGION_NAMES, pa.string()).take(pa.array(postcode_regions(codes)))
        return pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), names)

    @staticmethod
    def _band(arr: pa.Array, width: float) -> pa.Array:
        t = arr.type
        if pa.types.is_integer(t):
            w = max(int(width), 1)
            return pc.cast(pc.multiply(pc.floor(pc.divide(pc.cast(arr, pa.float64()), w)), w), t)
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            banded = pc.multiply(pc.floor(pc.divide(pc.cast(arr, pa.float64()), width)), width)
            return pc.cast(banded, t)
        raise TypeError(t)
