"""Byte-level, vectorised edits of Arrow string arrays that keep each value's layout.

Format-preserving fakes (phone, IRD, bank account, card, remap) replace some characters of the
source value and keep the rest (separators, spacing, brackets). Working on the Arrow data buffer
with numpy avoids a Python loop per value. Only ASCII bytes are ever replaced, so UTF-8 sequences
elsewhere in a value stay intact.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def string_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(the bytes of every value, one after another; row offsets into them, from 0) of a non-empty,
    null-free string array, zero copy; None for another type, nulls or no rows (callers then take
    their general Arrow path)."""
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) or not len(arr):
        return None
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    return data[offsets[0]:offsets[-1]], offsets.astype(np.int64) - offsets[0]


# Whole-buffer scans run over slices of about this many bytes: their temporaries then stay small
# enough for the allocator to reuse (a fresh multi-megabyte array costs page faults every time).
SCAN_BYTES = 1 << 22


def row_slices(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges [r0, r1) of about ``SCAN_BYTES`` bytes each (``offsets``: n + 1, from 0)."""
    n, total = len(offsets) - 1, int(offsets[-1])
    step = max(n, 1) if total <= SCAN_BYTES else max(1, n * SCAN_BYTES // total)
    return [(r0, min(r0 + step, n)) for r0 in range(0, n, step)]


def count_per_row(mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per row, the number of ``mask`` bytes (``offsets``: n + 1 row offsets into ``mask``, from 0)."""
    counts = np.empty(len(offsets) - 1, dtype=np.int64)
    for r0, r1 in row_slices(offsets):
        # A running count read at the row offsets (np.add.reduceat loops per row and is slower).
        b0 = offsets[r0]
        width = np.int32 if offsets[r1] - b0 < 1 << 31 else np.int64        # one huge row: int64
        running = np.concatenate([np.zeros(1, width), np.cumsum(mask[b0:offsets[r1]], dtype=width)])
        counts[r0:r1] = np.diff(running[offsets[r0:r1 + 1] - b0])
    return counts


def rows_with_bytes(arr: pa.Array, lo: int, hi: int) -> np.ndarray | None:
    """Per row, whether it holds a byte in [lo, hi] (None where ``string_bytes`` is None)."""
    parts = string_bytes(arr)
    if parts is None:
        return None
    data, offsets = parts
    found = np.empty(len(offsets) - 1, dtype=bool)
    for r0, r1 in row_slices(offsets):
        b0, b1 = offsets[r0], offsets[r1]
        hit = np.append(data[b0:b1] - np.uint8(lo) <= hi - lo, False)        # uint8 wraps below lo
        # logical_or.reduceat is fast; an empty row would read its neighbour's first byte: mask it.
        starts = offsets[r0:r1] - b0
        found[r0:r1] = np.logical_or.reduceat(hit, starts) & (offsets[r0 + 1:r1 + 1] > offsets[r0:r1])
    return found


class Chars:
    """The bytes of a string array without nulls: data, row offsets, and (on first use) each byte's row."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        self.data = data          # uint8, a copy (safe to modify)
        self.offsets = offsets    # int64, n + 1

    @classmethod
    def of(cls, values: pa.Array) -> Chars:
        arr = values.cast(pa.large_string())
        n = len(arr)
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
        buf = arr.buffers()[2]
        raw = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
        return cls(raw[offsets[0]:offsets[-1]].copy(), offsets - offsets[0])

    @functools.cached_property
    def row(self) -> np.ndarray:
        """int32 row number of each byte (int32 halves memory traffic)."""
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int32), np.diff(self.offsets))

    def rank(self, mask: np.ndarray) -> np.ndarray:
        """For each byte, how many ``mask`` bytes precede it in its own row (0-based)."""
        c = np.cumsum(mask, dtype=np.int32)
        before_row = np.concatenate([np.zeros(1, np.int32), c])[self.offsets[:-1]]
        return c - mask - before_row[self.row]

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per row, the number of ``mask`` bytes."""
        return count_per_row(mask, self.offsets)

    def to_array(self, data: np.ndarray | None = None) -> pa.Array:
        d = self.data if data is None else data
        return pa.Array.from_buffers(
            pa.large_string(), len(self.offsets) - 1,
            [None, pa.py_buffer(self.offsets.astype(np.int64)), pa.py_buffer(d.astype(np.uint8))],
        ).cast(pa.string())


def is_digit(data: np.ndarray) -> np.ndarray:
    return (data >= 0x30) & (data <= 0x39)


def is_upper(data: np.ndarray) -> np.ndarray:
    return (data >= 0x41) & (data <= 0x5A)


def is_lower(data: np.ndarray) -> np.ndarray:
    return (data >= 0x61) & (data <= 0x7A)


def fixed_width(mat: np.ndarray) -> pa.Array:
    """A string array from an (n, w) matrix of ASCII bytes (one row per value)."""
    n, w = mat.shape
    offsets = np.arange(n + 1, dtype=np.int64) * w
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat, np.uint8))]
    ).cast(pa.string())


HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
UPPER = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def hex_strings(h: np.ndarray, width: int) -> pa.Array:
    """The first ``width`` (≤ 32) lower-case hex digits of 128-bit material (n, 2) uint64."""
    nibbles = np.empty((len(h), 32), dtype=np.uint8)
    b = np.ascontiguousarray(h.astype("<u8")).view(np.uint8).reshape(len(h), 16)
    nibbles[:, 0::2], nibbles[:, 1::2] = b >> 4, b & 0x0F
    return fixed_width(HEX[nibbles[:, :width]])


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digits of non-negative int64 values, zero padded on the left."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = np.asarray(values, np.int64).copy()
    for col in range(width - 1, -1, -1):
        out[:, col] = 0x30 + rest % 10
        rest //= 10
    return out


def digit_text(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative int64s as zero-padded decimal strings of at least ``width`` characters."""
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, np.int64)), pa.string()), width, "0")


def ascii_matrix(values: pa.Array, width: int) -> np.ndarray:
    """(n, width) int64 byte matrix of strings that are all exactly ``width`` ASCII characters."""
    chars = Chars.of(values)
    return chars.data.reshape(-1, width).astype(np.int64)


def matrix_number(mat: np.ndarray) -> np.ndarray:
    """The integer spelled by an (n, w) matrix of ASCII digit bytes."""
    powers = 10 ** np.arange(mat.shape[1] - 1, -1, -1, dtype=np.int64)
    return (mat - 0x30) @ powers


_POW10 = 10 ** np.arange(19, dtype=np.int64)


class Digits:
    """The decimal digits inside each value (separators ignored), read once, for digit edits.

    Works on the digits alone, in reading order (``_digits``, each row's at ``_start``), so nothing
    is computed per byte beyond one digit test; per-digit arrays are built only for what a method needs.
    """

    def __init__(self, values: pa.Array, width: int = 19) -> None:
        self.chars = chars = Chars.of(values)
        self.width = width
        self.is_digit = is_digit(chars.data)
        self._digits = chars.data[self.is_digit] - np.uint8(0x30)
        self.total = chars.count(self.is_digit)
        self._start = np.cumsum(self.total) - self.total
        lengths = np.diff(chars.offsets)
        starts = np.minimum(chars.offsets[:-1], max(len(chars.data) - 1, 0))
        self.first_byte = np.where(lengths > 0, chars.data[starts] if len(chars.data) else 0, 0)

    def digit(self, k: int) -> np.ndarray:
        """Per row, its k-th digit (0-based, k < width) as int8, -1 where the row has no k-th digit."""
        if not len(self._digits):
            return np.full(len(self.total), -1, dtype=np.int8)
        at = np.minimum(self._start + k, len(self._digits) - 1)
        return np.where(k < self.total, self._digits[at].astype(np.int8), np.int8(-1))

    def leading(self, k: int) -> np.ndarray:
        """(n, k) int8: each row's first k digits, left-aligned, -1 = none."""
        out = np.empty((len(self.total), k), dtype=np.int8)
        for j in range(k):
            out[:, j] = self.digit(j)
        return out

    @functools.cached_property
    def matrix(self) -> np.ndarray:
        """(n, width) int8: each row's first ``width`` digits, left-aligned, -1 = none."""
        return self.leading(self.width)

    def value_after(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the number formed by the digits after the first ``keep``, and their count."""
        value = np.zeros(len(self.total), dtype=np.int64)
        first = max(int(keep.min(initial=0)), 0)
        last = min(self.width, int(self.total.max(initial=0)))     # columns no row takes change nothing
        for k in range(first, last):
            take = (k >= keep) & (k < self.total)
            value = np.where(take, value * 10 + self.digit(k).astype(np.int64), value)
        return value, np.maximum(self.total - keep, 0)

    def fill(self, numbers: np.ndarray, keep: np.ndarray | None = None) -> pa.Array:
        """Write ``numbers`` into the digit characters after the first ``keep`` (right-aligned)."""
        kept = np.zeros(len(self.total), np.int64) if keep is None else np.clip(keep, 0, self.total)
        count = self.total - kept                   # digits replaced per row: the last ``count``
        last = self._start + self.total - 1         # index into _digits of each row's last digit
        digits = self._digits.copy()
        q = np.asarray(numbers, np.int64).copy()
        # One pass per place from the right (few: identifiers are short), over the rows that have it.
        for place in range(min(int(count.max(initial=0)), 18)):
            rows = np.flatnonzero(count > place)
            digits[last[rows] - place] = q[rows] % 10
            q //= 10
        long = np.flatnonzero(count > 18)           # places ≥ 18 all get the 19th digit from the right
        if len(long):
            extra = count[long] - 18
            ends = np.cumsum(extra)
            places = np.repeat(ends - 1, extra) - np.arange(int(ends[-1])) + 18
            digits[np.repeat(last[long], extra) - places] = np.repeat(q[long] % 10, extra)
        data = self.chars.data.copy()
        data[self.is_digit] = digits + np.uint8(0x30)
        return self.chars.to_array(data)


def fill_digits(values: pa.Array, numbers: np.ndarray, keep: np.ndarray | None = None) -> pa.Array:
    """Write ``numbers`` into each value's digit characters, right-aligned, keeping the first ``keep``
    digits of each row and every non-digit. ``numbers`` must fit in the replaced digits."""
    return Digits(values, width=1).fill(numbers, keep)


def digit_values(values: pa.Array, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the integer formed by the digits after the first ``keep``, and how many there are."""
    return Digits(values).value_after(keep)

