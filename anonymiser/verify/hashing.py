"""Normalised, keyed 64-bit hashes of cell values, and token n-grams of free text (all vectorised).

The leak scan never keeps a value: it keeps a keyed 64-bit hash of its normalised form, with a random
key made for one scan and then discarded, so the hash sets in memory cannot be reversed by a
dictionary attack after the scan, and nothing is written anywhere. A value's hash (``value_hashes``)
is built from its words: ``SipHash-2-4(key, word)`` for each word (the normalised value split at its
single spaces), folded left to right through a 64-bit mixer. So a run of words inside free text is
hashed from its words' hashes with a few numpy operations (``token_runs``), never built as a string,
and it meets a value's hash exactly when the run, joined by spaces, is that value. Compact forms
(below) are hashed whole with SipHash.

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


SEED = np.uint64(0x6A09E667F3BCC908)
_STEP = np.uint64(0x9E3779B97F4A7C15)


def mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def fold(hashes: np.ndarray, word: np.ndarray) -> np.ndarray:
    """One more word into a run's hash (order matters: "smith liam" is not "liam smith")."""
    with np.errstate(over="ignore"):
        return mix(hashes * _STEP + word)


def word_hashes(hasher: Hasher, words: pa.Array) -> np.ndarray:
    """SipHash of each word, computed once per distinct word (texts repeat their words)."""
    if len(words) == 0:
        return np.empty(0, dtype=np.uint64)
    encoded = pc.dictionary_encode(words)
    return hasher.hash(encoded.dictionary)[np.asarray(encoded.indices, dtype=np.int64)]


def value_hashes(hasher: Hasher, normalised: pa.Array) -> np.ndarray:
    """The hash of each (non-null, normalised) value: its words' hashes folded in order."""
    lists = pc.split_pattern(normalised, " ")
    words = word_hashes(hasher, pc.list_flatten(lists))
    lengths = np.asarray(pc.list_value_length(lists), dtype=np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    out = np.full(len(lengths), SEED, dtype=np.uint64)
    order = np.argsort(-lengths, kind="stable")      # longest first: the values still going are a prefix
    ordered = lengths[order]
    for position in range(int(ordered[0]) if len(ordered) else 0):
        going = order[: int(np.searchsorted(-ordered, -position, side="left"))]
        out[going] = fold(out[going], words[starts[going] + position])
    return out


@dataclass
class Runs:
    """Every run of 1..max_n consecutive words inside each cell of a normalised text array: its hash (equal
    to ``value_hashes`` of the run joined by spaces), its cell, its first word and its length."""

    words: pa.Array          # the cells' words, punctuation trimmed from their edges, in order
    hashes: np.ndarray
    cells: np.ndarray        # position in the text array of each run's cell
    starts: np.ndarray       # index into ``words`` of each run's first word
    lengths: np.ndarray      # words in each run

    def __len__(self) -> int:
        return len(self.hashes)

    def compact_hashes(self, hasher: Hasher, which: np.ndarray) -> np.ndarray:
        """SipHash of the compact form of the runs at positions ``which`` (their compact words, joined)."""
        if len(which) == 0:
            return np.empty(0, dtype=np.uint64)
        parts = compact(self.words)
        starts, lengths = self.starts[which], self.lengths[which]
        out = np.empty(len(which), dtype=np.uint64)
        nothing = pa.scalar("", type=parts.type)
        for n in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == n)
            first = starts[rows]
            joined = parts.take(pa.array(first))
            for k in range(1, n):
                joined = pc.binary_join_element_wise(joined, parts.take(pa.array(first + k)), nothing)
            encoded = pc.dictionary_encode(joined)
            out[rows] = hasher.hash(encoded.dictionary)[np.asarray(encoded.indices, dtype=np.int64)]
        return out

    def with_digit(self) -> np.ndarray:
        """Positions of the runs that contain a digit (only those can match a compact identifier form)."""
        seen = np.zeros(len(self.words) + 1, dtype=np.int64)
        np.cumsum(np.asarray(has_digit(self.words), dtype=np.int64), out=seen[1:])
        return np.flatnonzero(seen[self.starts + self.lengths] > seen[self.starts])


def token_runs(hasher: Hasher, normalised: pa.Array, max_n: int = MAX_NGRAM) -> Runs:
    """The runs of words of every cell (see ``Runs``). Words are white-space separated with punctuation
    trimmed from their edges, so an e-mail address or a phone number at the end of a sentence still matches."""
    lists = pc.utf8_split_whitespace(normalised)
    words = pc.replace_substring_regex(pc.list_flatten(lists), pattern=_EDGE_PUNCT, replacement="")
    parents = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    nonempty = np.asarray(pc.greater(pc.utf8_length(words), 0), dtype=bool)
    words, parents = words.filter(pa.array(nonempty)), parents[nonempty]
    each = word_hashes(hasher, words)
    single = fold(np.full(len(words), SEED, dtype=np.uint64), each)
    positions = np.arange(len(words), dtype=np.int64)
    hashes, cells, starts, lengths = [single], [parents], [positions], [np.ones(len(words), dtype=np.int64)]
    run = single
    for n in range(2, max_n + 1):
        if len(words) < n:
            break
        run = fold(run[:-1], each[n - 1:])
        same_cell = parents[: len(parents) - n + 1] == parents[n - 1:]
        hashes.append(run[same_cell])
        cells.append(parents[: len(parents) - n + 1][same_cell])
        starts.append(positions[: len(positions) - n + 1][same_cell])
        lengths.append(np.full(int(same_cell.sum()), n, dtype=np.int64))
    return Runs(words, np.concatenate(hashes), np.concatenate(cells), np.concatenate(starts), np.concatenate(lengths))


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
