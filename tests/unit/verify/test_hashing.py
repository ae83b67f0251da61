"""The byte-level short cuts of hashing.py give exactly what the plain regular expressions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from anonymiser.verify import hashing
from anonymiser.verify.hashing import Hasher, compact, has_digit, normalise, token_runs

ALPHABET = [*"aZ09 -.,'@()/\t\n\r\x0b\x0c", "  ", "\u00a0", "é", "²", "٣", "Ⅻ", "ß", "İ", "—", "€", "😀", "\u2003"]


def _texts(seed: int, n: int = 400) -> list[str | None]:
    rng = np.random.default_rng(seed)
    out: list[str | None] = []
    for _ in range(n):
        if rng.random() < 0.05:
            out.append(None)
            continue
        out.append("".join(rng.choice(ALPHABET, size=int(rng.integers(0, 14))).tolist()))
    return out


def _reference_normalise(texts: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(texts)
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(lowered, pattern=r"\s+", replacement=" "))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_short_cuts_equal_the_regular_expressions(seed: int, kind: pa.DataType) -> None:
    special = ["—", "é²", "", "  ", "x", "٣", "(021) 400-1037", "a\tb", "\u2003é\u2003"]
    texts = pa.array([*_texts(seed), *special[seed:], None], kind).slice(7)   # a slice: offsets not from 0
    assert normalise(texts).to_pylist() == _reference_normalise(texts).to_pylist()
    norm = normalise(texts)
    regex = pc.replace_substring_regex(norm, pattern=r"[^\p{L}\p{N}]+", replacement="")
    assert compact(norm).to_pylist() == regex.to_pylist()
    assert compact(texts).to_pylist() == pc.replace_substring_regex(
        texts, pattern=r"[^\p{L}\p{N}]+", replacement="").to_pylist()
    digit = pc.fill_null(pc.match_substring_regex(texts, pattern=r"\p{N}"), False).to_pylist()
    assert has_digit(texts).tolist() == digit
    lengths, bound = pc.fill_null(pc.utf8_length(compact(texts)), 0).to_numpy(), hashing.alnum_bound(texts)
    ascii = np.asarray(pc.fill_null(pc.string_is_ascii(texts), True), dtype=bool)
    assert np.all(bound >= lengths) and np.array_equal(bound[ascii], lengths[ascii])
    words = pc.list_flatten(pc.utf8_split_whitespace(pc.drop_null(norm)))
    runs = token_runs(Hasher("0123456789abcdef"), pc.drop_null(norm))
    trimmed = pc.replace_substring_regex(words, pattern=hashing._EDGE_PUNCT, replacement="")
    assert runs.words.to_pylist() == [w for w in trimmed.to_pylist() if w]


def test_lookup_with_a_sieve_equals_without(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "SIEVE_CHUNK", 64)        # built in many chunks, bytes shared between them
    rng = np.random.default_rng(5)
    index = np.unique(rng.integers(0, 2**64, size=5000, dtype=np.uint64))
    queries = np.concatenate([rng.choice(index, 700), rng.integers(0, 2**64, size=20000, dtype=np.uint64)])
    rng.shuffle(queries)
    expected = hashing.lookup(index, queries)
    for slots in (4, 16, 64):
        assert np.array_equal(hashing.lookup(index, queries, hashing.Sieve(index, slots)), expected)
    assert (expected >= 0).sum() == 700
    empty = np.empty(0, np.uint64)
    assert np.array_equal(hashing.lookup(empty, queries, hashing.Sieve(empty)), np.full(len(queries), -1))


@pytest.mark.parametrize("share", [0.0, 0.001, 0.01, 0.3, 1.0], ids=lambda s: f"flagged {s}")
def test_per_cell_flags_and_counts_sparse_or_dense(share: float) -> None:
    rng = np.random.default_rng(int(share * 1000))
    lengths = rng.integers(0, 40, size=3000) * (rng.random(3000) < 0.9)      # empty cells too
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    flags = rng.random(int(offsets[-1])) < share
    expected = np.array([flags[a:b].any() for a, b in zip(offsets[:-1], offsets[1:], strict=True)], dtype=bool)
    assert np.array_equal(hashing._per_cell(flags, offsets), expected)
    counts = np.array([flags[a:b].sum() for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
    assert np.array_equal(hashing._count_per_cell(flags, offsets), counts)
    assert np.array_equal(hashing._count_per_cell(~flags, offsets), np.diff(offsets) - counts)


@pytest.mark.parametrize("join_bytes", [1 << 20, 16, 1], ids=["one piece", "pieces", "a byte a piece"])
def test_compact_forms_of_runs_hash_as_the_runs_joined(join_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "JOIN_BYTES", join_bytes)
    hasher = Hasher("0123456789abcdef")
    texts = pa.array([t for t in _texts(9) if t] + ["on 021 400 1037, or (021) 4001037!", "12-b Ü2 --- ٣x"])
    runs = token_runs(hasher, pc.drop_null(normalise(texts)))
    words = runs.words.to_pylist()
    spelt = [" ".join(words[s:s + n]) for s, n in zip(runs.starts.tolist(), runs.lengths.tolist(), strict=True)]
    digit = runs.with_digit()
    assert len(digit) > 100
    expected = hasher.hash(compact(pa.array([spelt[i] for i in digit], pa.string())))
    assert np.array_equal(runs.compact_hashes(hasher, digit), expected)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_hashes_are_pandas_siphash_of_the_strings(kind: pa.DataType) -> None:
    texts = pa.array([t for t in _texts(11) if t is not None] + ["", "liam smith", "é"], kind)
    expected = pd.util.hash_array(np.asarray(texts.to_pylist(), dtype=object), encoding="utf8",
                                  hash_key="0123456789abcdef", categorize=False)
    assert np.array_equal(Hasher("0123456789abcdef").hash(texts), expected)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_the_shape_filter_keeps_every_run_a_compact_form_can_equal(seed: int) -> None:
    """Runs dropped by shape are exactly those whose compact form has none of the index's shapes, and never one
    with characters other than ASCII (their counts say nothing)."""
    rng = np.random.default_rng(seed)
    texts = pc.drop_null(normalise(pa.array([t for t in _texts(seed, 600) if t] + [
        "call 021 400 1037 or 0214001037", "ird 049-091-850, acct 12-3456-7890123-00", "é2 021 400 1037"])))
    runs = token_runs(Hasher("0123456789abcdef"), texts)
    words = runs.words.to_pylist()
    spelt = [" ".join(words[s:s + n]) for s, n in zip(runs.starts.tolist(), runs.lengths.tolist(), strict=True)]
    forms = compact(pa.array(spelt, pa.string())).to_pylist()
    index = [forms[i] for i in rng.choice(len(forms), 40, replace=False)] + ["0214001037", "049091850"]
    shapes = hashing.compact_shapes(pa.array(index, pa.string()))
    assert np.array_equal(shapes, np.unique(shapes)) and len(shapes) >= 3

    def digits(form: str) -> int:
        return sum("0" <= c <= "9" for c in form)

    def may_match(form: str, text: str) -> bool:
        return not text.isascii() or any(len(form.encode()) == len(f.encode()) and digits(form) == digits(f)
                                         for f in index)

    which = np.arange(len(runs))
    kept = set(runs.shaped(which, shapes).tolist())
    expected = {i for i in range(len(runs)) if may_match(forms[i], spelt[i])}
    assert kept == expected and 0 < len(kept) < len(runs)
    assert all(i in kept for i in range(len(runs)) if forms[i] in index)
