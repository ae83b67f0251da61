"""Normalised, keyed 64-bit hashes of cell values, and token n-grams of free text (all vectorised).

The leak scan never keeps a value: it keeps ``SipHash-2-4(key, normalise(value))`` as uint64, with a
random key made for one scan and then discarded, so the hash sets in memory cannot be reversed by
a dictionary attack after the scan, and nothing is written anywhere.

Normalisation (both sides, identically): cast to text, Unicode lower case, trim, collapse runs of
white space to one space. A second, *compact* form keeps letters and digits only, so
"021 555 1234", "021-555-1234" and "0215551234" match; it is used for values that contain a digit
(identifiers), where separators carry no meaning.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.lazy import lazy_import
from anonymiser.schema import DATE_INFINITY, TIMESTAMP_INFINITY

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)

MAX_NGRAM = 5                  # longest token run searched inside free text
_EDGE_PUNCT = r"^[\p{P}\p{S}]+|[\p{P}\p{S}]+$"


@dataclass(frozen=True)
class Hasher:
    key: str                    # 16 ASCII characters: pandas' SipHash key

    @classmethod
    def ephemeral(cls) -> Hasher:
        return cls(secrets.token_hex(8))

    def hash(self, texts: pa.Array) -> np.ndarray:
        """uint64 per (non-null) string; callers drop nulls first."""
        if len(texts) == 0:
            return np.empty(0, dtype=np.uint64)
        values = np.asarray(texts.to_numpy(zero_copy_only=False), dtype=object)
        return pd.util.hash_array(values, encoding="utf8", hash_key=self.key, categorize=False)


def as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """Values as strings, or None for types that cannot hold personal text (booleans, bytes)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if pa.types.is_boolean(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind) \
            or pa.types.is_null(kind):
        return None
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):   # a whole array as one text (same-row check)
        return _joined(values)
    if pa.types.is_date32(kind) or (pa.types.is_timestamp(kind) and kind.unit == "us"):
        values = _finite(values)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        try:
            values = pc.cast(values, pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return None
    return values


def _finite(values: pa.Array) -> pa.Array:
    """PostgreSQL's infinity (the storage extremes, docs/types.md) as NULL: like NULL it says nothing about
    anyone, and ``date_shift`` keeps it infinite."""
    extremes = DATE_INFINITY if pa.types.is_date32(values.type) else TIMESTAMP_INFINITY
    storage = pa.int32() if pa.types.is_date32(values.type) else pa.int64()
    infinite = pc.fill_null(pc.is_in(values.cast(storage), pa.array(extremes, storage)), False)
    return pc.if_else(infinite, pa.scalar(None, values.type), values) if pc.any(infinite).as_py() else values


def _joined(values: pa.Array) -> pa.Array | None:
    """Each array's elements joined by a separator no value holds (NULL arrays stay NULL)."""
    inner = pc.list_flatten(values)
    text = _joined(inner) if pa.types.is_list(inner.type) or pa.types.is_large_list(inner.type) else as_text(inner)
    if text is None:
        return None
    lengths = np.asarray(pc.fill_null(pc.list_value_length(values), 0), dtype=np.int64)
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), pc.fill_null(text, ""),
                                     mask=values.is_null() if values.null_count else None)
    return pc.binary_join(lists, "\x1f")


def normalise(texts: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(texts)
    collapsed = pc.replace_substring_regex(lowered, pattern=r"\s+", replacement=" ")
    return pc.utf8_trim_whitespace(collapsed)


def compact(normalised: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(normalised, pattern=r"[^\p{L}\p{N}]+", replacement="")


def has_digit(texts: pa.Array) -> pa.Array:
    return pc.match_substring_regex(texts, pattern=r"\p{N}")


def prepared(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    """Non-null, non-empty normalised strings and their row positions (None: type holds no text).
    An array column gives its elements, each with the row it belongs to."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    rows = np.arange(len(values))
    while pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        rows = rows[np.asarray(pc.list_parent_indices(values), dtype=np.int64)]
        values = pc.list_flatten(values)
    text = as_text(values)
    if text is None:
        return None
    norm = normalise(text)
    keep = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(norm), 0), False), dtype=bool)
    return norm.filter(pa.array(keep)), rows[keep]


def token_ngrams(normalised: pa.Array, max_n: int = MAX_NGRAM) -> tuple[pa.Array, np.ndarray]:
    """Every run of 1..max_n consecutive tokens inside each cell, joined by one space, and the
    position (in ``normalised``) of the cell each run comes from.

    Tokens are white-space separated with punctuation trimmed from their edges, so an e-mail
    address or a phone number at the end of a sentence still matches.
    """
    if len(normalised) == 0:
        return pa.array([], normalised.type), np.empty(0, dtype=np.int64)
    lists = pc.utf8_split_whitespace(normalised)
    tokens = pc.replace_substring_regex(pc.list_flatten(lists), pattern=_EDGE_PUNCT, replacement="")
    parents = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    nonempty = np.asarray(pc.greater(pc.utf8_length(tokens), 0), dtype=bool)
    grams, cells = [tokens.filter(pa.array(nonempty))], [parents[nonempty]]
    joined = tokens
    for n in range(2, max_n + 1):
        if len(tokens) < n:
            break
        joined = pc.binary_join_element_wise(joined[: len(tokens) - n + 1], tokens[n - 1:],
                                             pa.scalar(" ", type=tokens.type))
        same_cell = parents[: len(parents) - n + 1] == parents[n - 1:]
        grams.append(joined.filter(pa.array(same_cell)))
        cells.append(parents[: len(parents) - n + 1][same_cell])
    return pa.concat_arrays(grams), np.concatenate(cells)


def lookup(sorted_hashes: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index into ``sorted_hashes`` of each query, or -1 (vectorised binary search). The queries are
    searched in sorted order: the binary searches then walk the index in order, ~5x faster on big ones."""
    if len(sorted_hashes) == 0 or len(queries) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    order = np.argsort(queries)
    ordered = queries[order]
    pos = np.minimum(np.searchsorted(sorted_hashes, ordered), len(sorted_hashes) - 1)
    out = np.empty(len(queries), dtype=np.int64)
    out[order] = np.where(sorted_hashes[pos] == ordered, pos, -1)
    return out
