"""An output column's cells as the leak search reads them: each distinct normalised text once, with its cells.

Columns repeat their values (an order's delivery address is its customer's, a status is one of a few, an item's
price one of a catalogue's): each distinct value is searched once, and what it holds counts once per cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.verify import hashing


@dataclass
class Cells:
    """Non-empty normalised texts, each distinct one once; each cell (a row, or an element of a row's array)
    in order: its row and its text."""

    text: pa.Array
    rows: np.ndarray       # per cell: its row in the batch
    which: np.ndarray      # per cell: its position in ``text``
    weight: np.ndarray     # per text: how many cells hold it

    def __len__(self) -> int:
        return len(self.rows)

    def first(self, n: int) -> pa.Array:
        """The texts of the first ``n`` cells, in order."""
        return self.text.take(pa.array(self.which[:n]))

    def subset(self, keep: np.ndarray) -> Cells:
        """The texts flagged in ``keep`` (a mask over ``text``) and their cells."""
        at = np.flatnonzero(keep)
        position = np.full(len(self.text), -1, dtype=np.int64)
        position[at] = np.arange(len(at))
        which = position[self.which]
        held = which >= 0
        return Cells(self.text.filter(pa.array(keep)), self.rows[held], which[held], self.weight[at])

    def rows_of(self, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For positions ``texts`` into ``text``: every cell holding each, as (its row, the position in ``texts``
        it is for)."""
        order = np.argsort(self.which, kind="stable")
        first = np.searchsorted(self.which[order], texts)
        counts = self.weight[texts]
        total = int(counts.sum())
        ends = np.cumsum(counts)
        step = np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)
        return self.rows[order[np.repeat(first, counts) + step]], np.repeat(np.arange(len(texts)), counts)


def distinct_cells(values: pa.Array | pa.ChunkedArray) -> Cells | None:
    """A column's cells (None: its type holds no text). Even a column of distinct values is dictionary-encoded
    (measured: no slower, as the encoding is cheap next to the search)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = _encoded(values)
    if encoded is None:
        prepared = hashing.prepared(values)
        if prepared is None:
            return None
        text, rows = prepared
        return Cells(text, rows, np.arange(len(text), dtype=np.int64), np.ones(len(text), dtype=np.int64))
    prepared = hashing.prepared(encoded.dictionary)
    if prepared is None:
        return None
    text, kept = prepared
    position = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)     # the last one: NULL
    position[kept] = np.arange(len(kept))
    codes = np.asarray(pc.fill_null(encoded.indices, len(encoded.dictionary)), dtype=np.int64)
    which = position[codes]
    rows = np.flatnonzero(which >= 0)
    which = which[rows]
    return Cells(text, rows, which, np.bincount(which, minlength=len(text)))


def _encoded(values: pa.Array) -> pa.DictionaryArray | None:
    """The column dictionary-encoded (None: its type is searched cell by cell: arrays, dictionaries already,
    types that hold no text)."""
    kind = values.type
    if len(values) < 2 or pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_dictionary(kind) \
            or hashing.as_text(values.slice(0, 0)) is None:
        return None
    try:
        return pc.dictionary_encode(values)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return None
