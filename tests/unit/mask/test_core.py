from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.mask import dictionaries, textbuf
from anonymiser.mask.core import domain_key, normalise, prf, prf_ints
from anonymiser.mask.fpe import permute, permute_in
from tests.unit.mask.helpers import KEY


def reference_prf(key: bytes, domain: str, value: str) -> bytes:
    """The documented construction, one value at a time: HMAC domain key, prefix-free AES-CBC-MAC."""
    k = hmac.new(key, b"anonymiser/v1/" + domain.encode(), hashlib.sha256).digest()[:16]
    msg = value.encode()
    padded = len(msg).to_bytes(8, "little") + msg
    padded += b"\0" * (-len(padded) % 16)
    enc = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    state = bytes(16)
    for i in range(0, len(padded), 16):
        state = enc.update(bytes(a ^ b for a, b in zip(state, padded[i:i + 16], strict=True)))
    return state


VALUES = ["", "a", "exactly8", "nine char", "x" * 24, "x" * 25, "Māori ā ē ī ō ū", "long " * 40]


def test_vectorised_prf_matches_reference() -> None:
    got = prf(KEY, "email", pa.array(VALUES))
    for row, value in zip(got, VALUES, strict=True):
        assert row.astype("<u8").tobytes() == reference_prf(KEY, "email", value), value


def test_prf_depends_on_domain_and_key() -> None:
    a = prf(KEY, "email", pa.array(["x"]))
    assert not np.array_equal(a, prf(KEY, "phone", pa.array(["x"])))
    assert not np.array_equal(a, prf(bytes(32), "email", pa.array(["x"])))
    assert domain_key(KEY, "email") != domain_key(KEY, "phone")


def test_prf_handles_sliced_arrays() -> None:
    arr = pa.array(["zero", "one", "two", "three"])
    assert np.array_equal(prf(KEY, "d", arr.slice(1, 2)), prf(KEY, "d", pa.array(["one", "two"])))


def test_prf_ints_is_deterministic_and_tweaked() -> None:
    x = np.arange(5, dtype=np.int64)
    assert np.array_equal(prf_ints(KEY, "d", x, 1), prf_ints(KEY, "d", x, 1))
    assert not np.array_equal(prf_ints(KEY, "d", x, 1), prf_ints(KEY, "d", x, 2))


@pytest.mark.parametrize(
    ("how", "value", "expected"),
    [
        ("name", "  Aroha \t Ngata ", "aroha ngata"),
        ("email", " Aroha.Ngata@Gmail.COM ", "aroha.ngata@gmail.com"),
        ("phone", "+64 21 555 0199", "64215550199"),
        ("phone", "021-555-0199", "64215550199"),
        ("phone", "0064 21 555 0199", "64215550199"),
        ("identifier", "49-091 850", "49091850"),
        ("identifier", "zzz0016", "ZZZ0016"),
        ("text", "  keep Case ", "keep Case"),
        ("exact", " as is ", " as is "),
    ],
    ids=["name", "email", "phone-intl", "phone-national", "phone-00", "ird", "nhi", "text", "exact"],
)
def test_normalise(how: str, value: str, expected: str) -> None:
    assert normalise(pa.array([value]), how).to_pylist() == [expected]  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [1, 2, 3, 10, 97, 1000, 4096], ids=lambda n: f"n={n}")
def test_permute_is_a_bijection(n: int) -> None:
    x = np.arange(n, dtype=np.int64)
    y = permute(KEY, "test", x, n)
    assert sorted(y.tolist()) == x.tolist()


def test_permute_in_range_and_keyed() -> None:
    x = np.arange(100, 200, dtype=np.int64)
    y = permute_in(KEY, "test", x, 100, 199)
    assert y.min() >= 100 and y.max() <= 199 and len(set(y.tolist())) == 100
    assert not np.array_equal(y, permute_in(bytes(32), "test", x, 100, 199))


def test_dictionaries_are_versioned_and_hold_maori_and_pasifika_names() -> None:
    d = dictionaries.load()
    given = set(d.given_names.to_pylist())
    assert {"Aroha", "Wiremu", "Sione", "Mele"} <= given
    assert dictionaries.VERSION.startswith("1+") and len(dictionaries.VERSION) == 14
    assert all(len(getattr(d, f)) >= 50 for f in ("given_names", "family_names", "streets", "suburbs", "companies"))


def test_text_below_u0300_is_already_nfc() -> None:
    """The claim behind the NFC shortcut in ``core._nfc``: every pair of characters below U+0300 is
    NFC (no reordering, no composition), so any string of them is, under Arrow's normaliser."""
    chars = [chr(c) for c in range(0x300)]
    pairs = pa.array([a + b for a in chars for b in chars])
    assert pc.all(pc.equal(pc.utf8_normalize(pairs, "NFC"), pairs)).as_py()
    assert chr(0x300).encode()[0] == 0xCC and max(chr(0x2FF).encode()) < 0xCC


PRINTABLE_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
BLANKS = st.text(st.sampled_from(list("aZ09 -./+()\t\n\r\f\v\u00a0\u2003\u0304āé")), max_size=12)
# Each list from one family, so whole arrays qualify for (or miss) each numpy fast path.
TEXT_LISTS = st.one_of(*(st.lists(family, max_size=25) for family in (st.text(max_size=20), PRINTABLE_ASCII, BLANKS)))


@pytest.mark.parametrize("scan_bytes", [textbuf.SCAN_BYTES, 5], ids=["one-slice", "5-byte-slices"])
@pytest.mark.parametrize("how", ["name", "email", "phone", "identifier", "text", "exact"])
@settings(max_examples=60, deadline=None)
@given(values=TEXT_LISTS)
def test_normalise_fast_paths_agree_with_the_general_path(values: list[str], how: str, scan_bytes: int) -> None:
    # A NULL sends every rule down its general Arrow path; the numpy fast paths must agree with it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textbuf, "SCAN_BYTES", scan_bytes)
        fast = normalise(pa.array(values, pa.string()), how).to_pylist()  # type: ignore[arg-type]
    general = normalise(pa.array([*values, None], pa.string()), how).to_pylist()  # type: ignore[arg-type]
    assert fast == general[:-1]


@pytest.mark.parametrize("scan_bytes", range(1, 9), ids=lambda n: f"slices-of-{n}")
def test_a_double_space_across_a_scan_slice_is_collapsed(scan_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textbuf, "SCAN_BYTES", scan_bytes)
    for values, expected in ((["abc  d"], ["abc d"]), (["ab", "c  d"], ["ab", "c d"]), (["a", "b  c"], ["a", "b c"])):
        assert normalise(pa.array(values), "name").to_pylist() == expected


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.text(max_size=60), min_size=1, max_size=20), cut=st.integers(0, 3))
def test_prf_matches_reference_for_any_text(values: list[str], cut: int) -> None:
    arr = pa.array(values).slice(min(cut, len(values) - 1))
    got = prf(KEY, "d", arr)
    for row, value in zip(got, arr.to_pylist(), strict=True):
        assert row.astype("<u8").tobytes() == reference_prf(KEY, "d", value)
