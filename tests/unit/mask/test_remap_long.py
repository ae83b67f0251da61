"""`remap` on values longer than LONG_CHARS alphanumerics: the linear-time construction (issue 11)."""

from __future__ import annotations

import random
import string

import pyarrow as pa
import pytest

from anonymiser.mask.strategies.remap import LONG_CHARS, remap_strings
from tests.unit.mask.helpers import OTHER_KEY

KEY = b"k" * 32
RNG = random.Random(11)


def _random(length: int, alphabet: str = string.ascii_letters + string.digits + "-/ ") -> str:
    return "".join(RNG.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize("length", [LONG_CHARS + 1, 500, 20_000], ids=["just-long", "500", "20k"])
def test_long_values_keep_layout_and_change(length: int) -> None:
    values = [_random(length) for _ in range(5)]
    out = remap_strings(KEY, "remap", pa.array(values)).to_pylist()
    for a, b in zip(values, out, strict=True):
        assert len(a) == len(b) and a != b
        for ca, cb in zip(a, b, strict=True):
            assert (ca.isdigit(), ca.isupper(), ca.islower()) == (cb.isdigit(), cb.isupper(), cb.islower())
            if not ca.isalnum():
                assert ca == cb


def test_long_values_are_injective_even_one_character_apart() -> None:
    base = _random(400, string.ascii_lowercase)
    variants = sorted({base[:i] + c + base[i + 1:] for i in range(0, 400, 5) for c in "abqz"})
    out = remap_strings(KEY, "remap", pa.array(variants)).to_pylist()
    assert len(set(out)) == len(variants)
    # one changed input character changes most of the output (every block depends on every other)
    assert sum(x != y for x, y in zip(out[0], out[1], strict=True)) > 300


def test_long_values_are_deterministic_and_keyed() -> None:
    values = pa.array([_random(1000), _random(3000)])
    first, again = remap_strings(KEY, "remap", values), remap_strings(KEY, "remap", values)
    assert first.equals(again)
    other = remap_strings(OTHER_KEY, "remap", values).to_pylist()
    assert all(a != b for a, b in zip(first.to_pylist(), other, strict=True))


def test_many_layouts_in_one_column() -> None:
    # every value its own layout: grouped in one pass, each row still gets its own value back
    values = [_random(RNG.randint(1, 40)) for _ in range(60)]
    out = remap_strings(KEY, "remap", pa.array(values)).to_pylist()
    single = [remap_strings(KEY, "remap", pa.array([v])).to_pylist()[0] for v in values[:8]]
    assert out[:8] == single
    assert len(set(out)) == len(set(values))
