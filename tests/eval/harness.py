"""The product's free-text path, as the evaluation set exercises it: spans found, and cells masked."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from anonymiser.detect.analyze import analyze_texts, resolve_overlaps
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext
from anonymiser.schema import ColumnInfo

_COLUMN = ColumnInfo(name="notes", kind="text", sql_type="TEXT")


def detect_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """The spans free_text would replace in each text (start, end)."""
    hits = analyze_texts(texts, workers=1)
    return [[(h.start, h.end) for h in resolve_overlaps(text_hits)] for text_hits in hits]


def mask_texts(values: pa.Array, key: bytes) -> list[str]:
    """The free_text strategy with its default options over one column of cells."""
    ctx = MaskContext(key=key, table="eval", column=_COLUMN)
    series = pd.Series(pd.arrays.ArrowExtensionArray(values))
    return [str(v) for v in registry.build("free_text", {}).mask(series, ctx).tolist()]
