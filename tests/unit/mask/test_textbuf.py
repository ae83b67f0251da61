"""Byte-level digit edits (textbuf) against a plain per-value reference, over generated values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.mask import textbuf
from anonymiser.mask.fakes import match_case
from anonymiser.mask.textbuf import Chars, Digits, count_per_row, rows_with_bytes

SETTINGS = settings(max_examples=80, deadline=None)
# Separators, letters, multi-byte characters and digit runs longer than the 18 places a number fills.
VALUE = st.lists(st.sampled_from(list("0123456789 -+()/aZāé") + ["1234567890123456789012"]), max_size=8).map("".join)
ROWS = st.lists(VALUE, max_size=20)


def reference_fill(value: str, number: int, keep: int) -> str:
    """Digits after the first ``keep`` get ``number``'s digits, right-aligned (places ≥ 18 repeat the 19th)."""
    ranks = [i for i, c in enumerate(value) if c.isascii() and c.isdigit()]
    out = list(value)
    for rank, i in enumerate(ranks):
        if rank >= keep:
            place = min(len(ranks) - 1 - rank, 18)
            out[i] = str((number // 10**place) % 10)
    return "".join(out)


def reference_value_after(value: str, keep: int, width: int) -> tuple[int, int]:
    digits = [int(c) for c in value if c.isascii() and c.isdigit()]
    taken = digits[max(keep, 0):width]
    return (int("".join(map(str, taken))) if taken else 0), max(len(digits) - keep, 0)


@SETTINGS
@given(values=ROWS, data=st.data())
def test_fill_matches_reference(values: list[str], data: st.DataObject) -> None:
    numbers = data.draw(st.lists(st.integers(0, 10**18), min_size=len(values), max_size=len(values)))
    keep = data.draw(st.lists(st.integers(-1, 6), min_size=len(values), max_size=len(values)))
    got = Digits(pa.array(values, pa.string())).fill(np.array(numbers, np.int64), np.array(keep, np.int64))
    assert got.to_pylist() == [reference_fill(v, n, max(k, 0)) for v, n, k in zip(values, numbers, keep, strict=True)]


@SETTINGS
@given(values=ROWS, keep=st.integers(0, 4), width=st.sampled_from([1, 6, 15]))
def test_digit_matrix_and_value_after_match_reference(values: list[str], keep: int, width: int) -> None:
    digits = Digits(pa.array(values, pa.string()), width=width)
    keeps = np.full(len(values), keep, np.int64)
    value, count = digits.value_after(keeps)
    expected = [reference_value_after(v, keep, width) for v in values]
    assert list(zip(value.tolist(), count.tolist(), strict=True)) == expected
    for row, v in zip(digits.matrix.tolist(), values, strict=True):
        found = [int(c) for c in v if c.isascii() and c.isdigit()][:width]
        assert row == found + [-1] * (width - len(found))


@pytest.mark.parametrize("scan_bytes", [textbuf.SCAN_BYTES, 3], ids=["one-slice", "3-byte-slices"])
@SETTINGS
@given(values=ROWS, lo=st.sampled_from([ord("a"), ord("0")]))
def test_row_counts_match_python(values: list[str], lo: int, scan_bytes: int) -> None:
    arr = pa.array(values, pa.string())
    chars = Chars.of(arr)
    hit = (chars.data >= lo) & (chars.data <= lo + 9)
    per_row = [sum(lo <= b <= lo + 9 for b in v.encode()) for v in values]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textbuf, "SCAN_BYTES", scan_bytes)
        counts = count_per_row(hit, chars.offsets).tolist()
        flags = rows_with_bytes(arr, lo, lo + 9)       # None: no rows, the caller's general path
    assert counts == per_row
    assert (flags is None) if not values else (flags is not None and flags.tolist() == [n > 0 for n in per_row])


@pytest.mark.parametrize(
    ("raw", "out", "expected"),
    [
        (["NGATA", "Ngata", "", "123", "ĀWHINA", "Ā1"], ["aroha"] * 6,
         ["AROHA", "aroha", "aroha", "aroha", "AROHA", "AROHA"]),
        (["ngata", "smith"], ["x", "y"], ["x", "y"]),
        (["NGATA", None], ["aroha", "kiri"], ["AROHA", "kiri"]),
    ],
    ids=["mixed", "no-upper", "with-null"],
)
def test_match_case_upper_cases_only_all_caps_sources(raw: list[str | None], out: list[str],
                                                      expected: list[str]) -> None:
    assert match_case(pa.array(raw, pa.string()), pa.array(out)).to_pylist() == expected
