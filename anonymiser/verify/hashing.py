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
from collections.abc import Callable
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
        """uint64 per (non-null) string; callers drop nulls first. The strings are handed to pandas as their UTF-8
        bytes (a cast without a copy), which it hashes as they are: the same hashes as of ``str`` objects, which it
        would encode one by one, at half the cost."""
        if len(texts) == 0:
            return np.empty(0, dtype=np.uint64)
        if pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type):
            texts = texts.cast(pa.large_binary() if pa.types.is_large_string(texts.type) else pa.binary())
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
    # RE2's \s is [\t\n\f\r ]: only cells holding one of \t\n\f\r or two spaces in a row change under the
    # regex (trimming does the rest), so it runs on those alone.
    split = _utf8(lowered)
    redo = None if split is None else np.flatnonzero(_per_cell(_collapsible(split[0]), split[1]))
    return pc.utf8_trim_whitespace(_patched(lowered, redo, _collapse))


def _collapse(texts: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(texts, pattern=r"\s+", replacement=" ")


def compact(normalised: pa.Array) -> pa.Array:
    """Letters and digits only. ASCII cells are filtered byte by byte; the regex runs on the others alone."""
    split = _utf8(normalised)
    if split is None:
        return _compacted(normalised)
    data, offsets = split
    keep = _alnum(data)
    ends = np.cumsum(_count_per_cell(keep, offsets))
    other = np.flatnonzero(_per_cell(data >= 0x80, offsets))
    if ends[-1] == len(data):      # nothing to drop but, maybe, in cells with other characters
        return _patched(normalised, other, _compacted)
    kind = pa.large_string() if pa.types.is_large_string(normalised.type) else pa.string()
    width = np.int64 if kind == pa.large_string() else np.int32
    out = pa.Array.from_buffers(kind, len(normalised), [
        None, pa.py_buffer(np.concatenate(([0], ends)).astype(width)), pa.py_buffer(data[keep])])
    if normalised.null_count:
        out = pc.if_else(normalised.is_valid(), out, pa.scalar(None, kind))
    return _patched(out, other, _compacted, normalised)


def _compacted(texts: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(texts, pattern=r"[^\p{L}\p{N}]+", replacement="")


def shape_keys(alnum: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """One int64 per compact form: its length in bytes and its ASCII digits (see ``compact_shapes``)."""
    return (alnum.astype(np.int64) << np.int64(32)) | digits.astype(np.int64)


def compact_shapes(compacted: pa.Array) -> np.ndarray:
    """The distinct shapes of compact forms (``compact``'s output): a compact form can only equal one of the same
    length and number of digits, which for an ASCII text are counted in its bytes without making its compact form
    (``Runs.shaped``)."""
    split = _utf8(compacted)
    if split is None:
        return np.empty(0, np.int64)
    data, offsets = split
    return np.unique(shape_keys(np.diff(offsets), _count_per_cell(data - np.uint8(0x30) < np.uint8(10), offsets)))


def _shape_running(data: np.ndarray) -> np.ndarray:
    """The shape (``shape_keys``) of the ASCII letters and digits in ``data[:i]``, for every ``i``: the shape of a
    byte range is the difference of its ends' (for an ASCII text, the shape of its compact form)."""
    digit = data - np.uint8(0x30) < np.uint8(10)
    letter = (data | np.uint8(0x20)) - np.uint8(0x61) < np.uint8(26)
    running = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(((letter | digit).astype(np.int64) << np.int64(32)) | digit, out=running[1:])
    return running


def _with_shape(keys: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    if len(shapes) == 0:
        return np.zeros(len(keys), dtype=bool)
    return shapes[np.minimum(np.searchsorted(shapes, keys), len(shapes) - 1)] == keys


def has_digit(texts: pa.Array) -> np.ndarray:
    r"""Per cell: holds a digit (``\p{N}``); null cells do not. ASCII digits are found in the bytes, the regex
    runs on the cells without one that hold other characters."""
    split = _utf8(texts)
    if split is None:
        return np.asarray(pc.fill_null(pc.match_substring_regex(texts, pattern=r"\p{N}"), False), dtype=bool)
    data, offsets = split
    digits = _per_cell(data - np.uint8(0x30) < np.uint8(10), offsets)
    other = np.flatnonzero(_per_cell(data >= 0x80, offsets) & ~digits)
    if len(other):
        found = pc.match_substring_regex(texts.take(pa.array(other)), pattern=r"\p{N}")
        digits[other] = np.asarray(pc.fill_null(found, False), dtype=bool)
    if texts.null_count:
        digits &= np.asarray(texts.is_valid(), dtype=bool)
    return digits


def alnum_bound(texts: pa.Array) -> np.ndarray:
    """Per cell, at least its number of letters and digits (exact for ASCII cells; other characters count one
    per byte): a cell below ``n`` here has a compact form shorter than ``n``."""
    split = _utf8(texts)
    if split is None:
        return np.asarray(pc.fill_null(pc.binary_length(pc.cast(texts, pa.string())), 0), dtype=np.int64)
    data, offsets = split
    return _count_per_cell(_alnum(data), offsets)


def _alnum(data: np.ndarray) -> np.ndarray:
    """Bytes that are ASCII letters or digits, or part of another character (their cells are redone apart)."""
    return ((data | np.uint8(0x20)) - np.uint8(0x61) < np.uint8(26)) | (data - np.uint8(0x30) < np.uint8(10)) | \
        (data >= 0x80)


_ASCII_PUNCT = np.zeros(256, dtype=bool)      # ASCII \p{P} and \p{S}: every printable that is not alnum or space
_ASCII_PUNCT[0x21:0x7F] = ~_alnum(np.arange(0x21, 0x7F, dtype=np.uint8))
_ASCII_PUNCT[0x80:] = True          # maybe, outside ASCII: the regex decides


def _utf8(texts: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The bytes of a string array and its offsets into them, from 0 (no copy); None for other types."""
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)) or len(texts) == 0:
        return None
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    _, offsets_buffer, data_buffer = texts.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=width, count=len(texts) + 1,
                            offset=texts.offset * np.dtype(width).itemsize).astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.empty(0, np.uint8)
    data = data[offsets[0]:offsets[-1]]
    return data, offsets - offsets[0]


def _per_cell(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Whether any of each cell's bytes is flagged."""
    starts = offsets[:-1]
    out = np.zeros(len(starts), dtype=bool)
    if np.count_nonzero(flags) * 64 < len(flags):    # few (white space runs, other than ASCII): placed one by one
        out[np.searchsorted(offsets, np.flatnonzero(flags), side="right") - 1] = True
        return out
    full = offsets[1:] > starts
    if len(flags):        # the cells with bytes tile the bytes: reduced between one start and the next
        out[full] = np.logical_or.reduceat(flags, starts[full])
    return out


def _count_per_cell(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """How many of each cell's bytes are flagged: summed between one cell's start and the next, or, when the
    flagged bytes or the others are few, those placed by binary search."""
    flagged = np.count_nonzero(flags)
    fewer = flagged * 2 <= len(flags)
    if min(flagged, len(flags) - flagged) * 64 >= len(flags):
        starts = offsets[:-1]
        full = offsets[1:] > starts
        out = np.zeros(len(starts), dtype=np.int64)
        out[full] = np.add.reduceat(flags, starts[full], dtype=np.int64)
        return out
    cells = np.searchsorted(offsets, np.flatnonzero(flags if fewer else ~flags), side="right") - 1
    counted = np.bincount(cells, minlength=len(offsets) - 1)
    return counted if fewer else np.diff(offsets) - counted


def _edged(words: pa.Array) -> np.ndarray | None:
    """Words whose first or last byte may be punctuation or a symbol (None: not a plain string array)."""
    split = _utf8(words)
    if split is None:
        return None
    data, offsets = split
    full = offsets[1:] > offsets[:-1]
    first, last = np.zeros(len(words), dtype=bool), np.zeros(len(words), dtype=bool)
    first[full] = _ASCII_PUNCT[data[offsets[:-1][full]]]
    last[full] = _ASCII_PUNCT[data[offsets[1:][full] - 1]]
    return np.flatnonzero(first | last)


def _collapsible(data: np.ndarray) -> np.ndarray:
    """Bytes where the white-space regex changes something: \t \n \f \r, or a space followed by a space."""
    space = data == 0x20
    return (data == 0x09) | (data == 0x0A) | (data == 0x0C) | (data == 0x0D) | \
        np.concatenate((space[1:] & space[:-1], [False]))


def _patched(values: pa.Array, rows: np.ndarray | None, redo: Callable[[pa.Array], pa.Array],
             source: pa.Array | None = None) -> pa.Array:
    """``values`` with the cells at ``rows`` replaced by ``redo`` of the same cells of ``source`` (default:
    ``values``); ``rows`` None: every cell."""
    source = values if source is None else source
    if rows is None or len(rows) == len(values):
        return redo(source)
    if len(rows) == 0:
        return values
    fixed = redo(source.take(pa.array(rows))).cast(values.type)
    order = np.arange(len(values), dtype=np.int64)
    order[rows] = len(values) + np.arange(len(rows))
    return pa.concat_arrays([values, fixed]).take(pa.array(order))


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


def _slices(data: np.ndarray, begin: np.ndarray, end: np.ndarray) -> pa.Array:
    """The strings ``data[begin[i]:end[i]]`` (UTF-8 bytes), copied into one array with numpy."""
    sizes = end - begin
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    wide = offsets[-1] >= 2**31 - 1
    kind, width = (pa.large_string(), np.int64) if wide else (pa.string(), np.int32)
    at = np.repeat((begin - offsets[:-1]).astype(width), sizes) + np.arange(offsets[-1], dtype=width)
    return pa.Array.from_buffers(kind, len(sizes), [None, pa.py_buffer(offsets.astype(width)),
                                                    pa.py_buffer(data[at])])


JOIN_BYTES = 1 << 20     # bytes of joined compact forms made at a time (their byte indices: 4 bytes each)
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
        starts, lengths = self.starts[which], self.lengths[which]
        size = len(self.words) + 1     # the words these runs cover, and no other, are compacted
        covered = np.cumsum(np.bincount(starts, minlength=size) - np.bincount(starts + lengths, minlength=size))
        used = np.flatnonzero(covered[:-1] > 0)
        parts = _utf8(compact(self.words.take(pa.array(used))))
        assert parts is not None, "compact forms are strings"
        data, offsets = parts
        first = np.searchsorted(used, starts)       # a run's words are consecutive in ``used`` too: so are the
        begin, end = offsets[first], offsets[first + lengths]    # bytes of their compact forms
        out = np.empty(len(which), dtype=np.uint64)
        sizes = np.cumsum(end - begin)
        bounds = np.searchsorted(sizes, np.arange(JOIN_BYTES, int(sizes[-1]), JOIN_BYTES), side="left")
        for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(which)], strict=True):
            if hi > lo:     # each hashed, repeats too: few repeat (demo: finding them cost more than it saved)
                out[lo:hi] = hasher.hash(_slices(data, begin[lo:hi], end[lo:hi]))
        return out

    def shaped(self, which: np.ndarray, shapes: np.ndarray) -> np.ndarray:
        """Of the runs at positions ``which``, those whose compact form may have one of ``shapes``: every run with a
        character other than ASCII, and the ASCII runs whose letters and digits have such a shape (a run's compact
        form is its words' compact forms joined)."""
        split = _utf8(self.words) if len(which) else None
        if split is None:
            return which
        data, offsets = split
        starts = self.starts[which]     # a run's words are consecutive: so are their bytes
        begin, end = offsets[starts], offsets[starts + self.lengths[which]]
        running = _shape_running(data)
        keep = _with_shape(running[end] - running[begin], shapes)
        if np.any(data >= 0x80):      # a run with a word of other characters is kept
            np.cumsum(data >= 0x80, out=running[1:])
            keep |= running[end] > running[begin]
        return which[keep]

    def with_digit(self, min_alnum: int = 0) -> np.ndarray:
        """Positions of the runs that contain a digit (only those can match a compact identifier form), and at
        least ``min_alnum`` letters and digits (see ``alnum_bound``)."""
        seen = np.zeros(len(self.words) + 1, dtype=np.int64)
        np.cumsum(has_digit(self.words), out=seen[1:])
        ends = self.starts + self.lengths
        digit = seen[ends] > seen[self.starts]
        if min_alnum > 0:
            np.cumsum(alnum_bound(self.words), out=seen[1:])
            digit &= seen[ends] - seen[self.starts] >= min_alnum
        return np.flatnonzero(digit)


def token_runs(hasher: Hasher, normalised: pa.Array, max_n: int = MAX_NGRAM) -> Runs:
    """The runs of words of every cell (see ``Runs``). Words are white-space separated with punctuation
    trimmed from their edges, so an e-mail address or a phone number at the end of a sentence still matches."""
    lists = pc.utf8_split_whitespace(normalised)
    words = pc.list_flatten(lists)
    words = _patched(words, _edged(words), lambda w: pc.replace_substring_regex(w, pattern=_EDGE_PUNCT,
                                                                                 replacement=""))
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


SIEVE_CHUNK = 1 << 20     # hashes set in a sieve at a time
MAX_BITS = 28             # 32 MiB: a sieve this big has 4 to 8 slots a value, whatever it asked for


class Sieve:
    """One bit per slot of the top bits of a sorted hash set's values, ``per_value`` to twice that a value (1/8 to
    1/4 of that in bytes, memory the 10M-row run counts), but past ``MAX_BITS`` bits only 4 to 8: a query whose
    slot is empty cannot be in the set, so most queries that miss skip the binary search (one in ``per_value`` + 1
    or more gets through)."""

    def __init__(self, sorted_hashes: np.ndarray, per_value: int = 4) -> None:
        size = max(len(sorted_hashes), 1)
        wanted, least = int(np.ceil(np.log2(size * per_value))), int(np.ceil(np.log2(size * 4)))
        self.bits = max(6, min(wanted, max(MAX_BITS, least)))
        self.shift = np.uint64(64 - self.bits)
        self.table = np.zeros(1 << (self.bits - 3), dtype=np.uint8)
        for start in range(0, len(sorted_hashes), SIEVE_CHUNK):   # in chunks: a few MB of temporaries at a time
            slots = sorted_hashes[start:start + SIEVE_CHUNK] >> self.shift     # sorted, as the hashes are
            byte = slots >> np.uint64(3)
            first = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
            bit = np.left_shift(np.uint8(1), (slots & np.uint64(7)).astype(np.uint8))
            self.table[byte[first]] |= np.bitwise_or.reduceat(bit, first)

    def may_hold(self, queries: np.ndarray) -> np.ndarray:
        slots = queries >> self.shift
        return (self.table[slots >> np.uint64(3)] >> (slots & np.uint64(7)).astype(np.uint8)) & np.uint8(1) != 0


def lookup(sorted_hashes: np.ndarray, queries: np.ndarray, sieve: Sieve | None = None) -> np.ndarray:
    """Index into ``sorted_hashes`` of each query, or -1 (vectorised binary search). The queries are
    searched in sorted order: the binary searches then walk the index in order, ~5x faster on big ones.
    With the set's ``sieve``, only the queries it lets through are searched."""
    if len(sorted_hashes) == 0 or len(queries) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    if sieve is not None:
        out = np.full(len(queries), -1, dtype=np.int64)
        maybe = np.flatnonzero(sieve.may_hold(queries))
        out[maybe] = lookup(sorted_hashes, queries[maybe])
        return out
    order = np.argsort(queries)
    ordered = queries[order]
    pos = np.minimum(np.searchsorted(sorted_hashes, ordered), len(sorted_hashes) - 1)
    out = np.empty(len(queries), dtype=np.int64)
    out[order] = np.where(sorted_hashes[pos] == ordered, pos, -1)
    return out
