"""Property tests over generated inputs: determinism, injectivity, checksum validity, length."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymiser.identifiers import nz
from anonymiser.identifiers.nz_vec import ird_check_digits
from anonymiser.mask import registry
from anonymiser.mask.core import prf
from tests.unit.mask.helpers import KEY, arrow, ctx, is_unique, run, text_fakes

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(min_size=1, max_size=40)
FAKE_NAMES = text_fakes()


@SETTINGS
@given(values=st.lists(TEXT, min_size=1, max_size=30), name=st.sampled_from(FAKE_NAMES))
def test_deterministic_and_row_order_independent(values: list[str], name: str) -> None:
    a = run(name, arrow(values)).to_pylist()
    b = run(name, arrow(values[::-1])).to_pylist()
    assert a == b[::-1]


@SETTINGS
@given(values=st.lists(TEXT, min_size=1, max_size=60, unique=True),
       name=st.sampled_from(["email", "phone", "nz_ird", "hash", "remap", "username", "nz_bank_account"]))
def test_unique_columns_stay_unique(values: list[str], name: str) -> None:
    out = registry.build(name, {}).mask(arrow(values), ctx(unique=True))
    assert is_unique(out)


@SETTINGS
@given(values=st.lists(TEXT, min_size=1, max_size=30), limit=st.integers(min_value=8, max_value=40),
       name=st.sampled_from(FAKE_NAMES))
def test_outputs_fit_varchar(values: list[str], limit: int, name: str) -> None:
    out = run(name, arrow(values), length=limit)
    assert all(len(v) <= limit for v in out.drop_null().to_pylist())


@SETTINGS
@given(bases=st.lists(st.integers(min_value=1_000_000, max_value=14_999_999), min_size=1, max_size=50))
def test_ird_fakes_pass_checks_for_any_ird(bases: list[int]) -> None:
    arr = np.array(bases, dtype=np.int64)
    checks = ird_check_digits(arr)
    source = [str(b * 10 + c) for b, c in zip(arr, checks, strict=True) if c >= 0]
    if not source:
        return
    out = run("nz_ird", arrow(source), unique=True)
    assert all(nz.is_valid_ird(v) and len(v) == len(s) for v, s in zip(out.to_pylist(), source, strict=True))
    assert is_unique(out) == (len(set(source)) == len(source))


@SETTINGS
@given(values=st.lists(TEXT, min_size=1, max_size=30))
def test_checksum_fakes_valid_for_any_input(values: list[str]) -> None:
    assert all(nz.is_valid_nhi(v) for v in run("nz_nhi", arrow(values)).to_pylist())
    assert all(nz.is_valid_nzbn(v) for v in run("nzbn", arrow(values)).to_pylist())
    assert all(nz.is_valid_nz_bank_account(v, known_branch=True)
               for v in run("nz_bank_account", arrow(values)).to_pylist())
    assert all(nz.is_valid_ird(v) for v in run("nz_ird", arrow(values)).to_pylist())


@SETTINGS
@given(values=st.lists(st.integers(min_value=-(2**31), max_value=2**31 - 1), min_size=1, max_size=50, unique=True))
def test_remap_integers_injective_in_range(values: list[int]) -> None:
    out = run("remap", arrow(values, pa.int32()), kind="integer", bits=32)
    assert is_unique(out) and all(-(2**31) <= v < 2**31 for v in out.to_pylist())


@SETTINGS
@given(values=st.lists(st.text(max_size=80), min_size=1, max_size=20, unique=True))
def test_prf_injective_in_practice(values: list[str]) -> None:
    h = prf(KEY, "x", pa.array(values))
    assert len({(int(a), int(b)) for a, b in h}) == len(values)
