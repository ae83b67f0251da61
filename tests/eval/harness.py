"""The product's free-text path, as the evaluation set exercises it: spans found, and cells masked."""

from __future__ import annotations

import pyarrow as pa

from anonymiser.detect.spans import find_spans
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.strategies.free_text import DEFAULT_ENTITIES, FREE_TEXT_THRESHOLD
from anonymiser.schema import ColumnInfo

_COLUMN = ColumnInfo(name="notes", kind="text", sql_type="TEXT")


def detect_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """The spans free_text replaces in each text (start, end), with its default entities and threshold."""
    found = find_spans(texts, entities=DEFAULT_ENTITIES, threshold=FREE_TEXT_THRESHOLD)
    return [[(s.start, s.end) for s in spans] for spans in found]


def mask_texts(values: pa.Array, key: bytes) -> list[str]:
    """The free_text strategy with its default options over one column of cells."""
    ctx = MaskContext(key=key, table="eval", column=_COLUMN, find_spans=find_spans)
    return [str(v) for v in registry.build("free_text", {}).mask(values, ctx).to_pylist()]
