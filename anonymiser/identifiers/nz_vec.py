"""Vectorised (numpy) check digits for generating NZ identifiers in bulk.

Same algorithms as ``nz`` (which stays the readable reference; tests check they agree), for whole
arrays of candidate numbers. "No check digit exists" is returned as -1.
"""

from __future__ import annotations

import numpy as np

from anonymiser.identifiers.nz import NHI_LETTERS


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) decimal digits, most significant first, of non-negative int64 values."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers[None, :]) % 10


def _weighted(values: np.ndarray, weights: tuple[int, ...]) -> np.ndarray:
    """Σ digit·weight over the decimal digits of ``values`` (most significant weight first)."""
    rest = np.asarray(values, dtype=np.int64).copy()
    total = np.zeros(len(rest), dtype=np.int64)
    for w in reversed(weights):
        total += (rest % 10) * w
        rest //= 10
    return total


def ird_check_digits(base: np.ndarray) -> np.ndarray:
    """Check digit of each 8-digit IRD base (number // 10); -1 where none exists."""
    out = np.full(len(base), -1, dtype=np.int64)
    for weights in ((3, 2, 7, 6, 5, 4, 3, 2), (7, 4, 3, 2, 5, 2, 7, 6)):
        r = _weighted(base, weights) % 11
        c = np.where(r == 0, 0, 11 - r)
        take = (out == -1) & (c != 10)
        out[take] = c[take]
    return out


def gs1_check_digits(body: np.ndarray, width: int) -> np.ndarray:
    """GS1 mod-10 check digit over ``width`` digits, weights 1,3,1,3… from the left (NZBN: 12)."""
    weights = tuple(1 if i % 2 == 0 else 3 for i in range(width))
    return (10 - _weighted(body, weights) % 10) % 10


def luhn_check_digits(body: np.ndarray, width: int) -> np.ndarray:
    """Luhn check digit appended to a ``width``-digit body (credit cards)."""
    d = _digits(body, width)
    double = (np.arange(width)[::-1] % 2) == 0           # rightmost body digit is doubled
    v = np.where(double, d * 2, d)
    v = np.where(v > 9, v - 9, v)
    return (10 - v.sum(axis=1) % 10) % 10


def nhi_values(letters: np.ndarray) -> np.ndarray:
    """NHI letter values (A=1 … Z=24, no I/O) of indices into NHI_LETTERS."""
    return np.asarray(letters, dtype=np.int64) + 1


def nhi_check_old(v: np.ndarray) -> np.ndarray:
    """Check digit for old-format NHIs from the (n, 6) values of the first six characters; -1 if none."""
    s = v @ np.arange(7, 1, -1, dtype=np.int64)
    r = s % 11
    c = np.where(r == 0, -1, 11 - r)
    return np.where(c == 10, 0, c)


def nhi_check_new(v: np.ndarray) -> np.ndarray:
    """Index into NHI_LETTERS of the check letter for new-format NHIs (first six values, (n, 6))."""
    s = v @ np.arange(7, 1, -1, dtype=np.int64)
    return 24 - s % 24 - 1


def bank_check_ok(bank: np.ndarray, branch: np.ndarray, base: np.ndarray, suffix: np.ndarray) -> np.ndarray:
    """Vectorised ``nz.bank_checksum_ok`` for algorithms A, B and D (the banks generators use)."""
    base_d = _digits(base, 8)
    weights_a = np.array([0, 0, 10, 5, 8, 4, 2, 1])
    weights_d = np.array([0, 7, 6, 5, 4, 3, 2, 1])
    branch_d = _digits(branch, 4) @ np.array([6, 3, 7, 9])
    s_ab = base_d @ weights_a + np.where(base < 990_000, branch_d, 0)
    s_d = base_d @ weights_d
    s = np.where(bank == 8, s_d, s_ab)
    return (s % 11) == 0


__all__ = ["NHI_LETTERS", "bank_check_ok", "gs1_check_digits", "ird_check_digits", "luhn_check_digits",
           "nhi_check_new", "nhi_check_old", "nhi_values"]
