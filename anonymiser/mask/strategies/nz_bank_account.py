"""Fake NZ bank account numbers on a real bank/branch pair, passing the bank's check (algorithm A).

The source's layout is kept when it parses (separators, 7 or 8 digit base, 2–4 digit suffix),
else ``BB-bbbb-AAAAAAA-SSS``. The bank/branch comes from ``identifiers.nz.KNOWN_BRANCHES`` (banks
checked with algorithm A); the base's last digit is the mod-11 check digit. Nothing of the source
number is kept, so every account is drawn from the keyed material (no permutation).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz import BANK_ACCOUNT_LAYOUT, KNOWN_BRANCHES, bank_algorithm
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import join
from anonymiser.mask.identifier_fake import IdentifierFake
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_matrix, digit_text

# (bank, first branch, number of branches) for banks using algorithm A with a base below 990000.
RANGES = np.array([(b, lo, hi - lo + 1) for b, rs in sorted(KNOWN_BRANCHES.items())
                   for lo, hi in rs if bank_algorithm(b, 0) == "A"], dtype=np.int64)
BASE_WEIGHTS = np.array([0, 0, 10, 5, 8, 4, 2, 1], dtype=np.int64)
BRANCH_WEIGHTS = np.array([6, 3, 7, 9], dtype=np.int64)
BRANCH, BASE = 10**4, 10**8     # the account number without suffix: bank · branch (4) · base (8)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return (digit_matrix(values, width) - 0x30).astype(np.int64)


def checked_base(branch: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """A base below 990000 whose last digit makes Σ weights·digits ≡ 0 (mod 11) (algorithm A)."""
    prefix = prefix.copy()
    while True:
        partial = _digits(prefix * 10, 8) @ BASE_WEIGHTS + _digits(branch, 4) @ BRANCH_WEIGHTS
        check = (-partial) % 11
        bad = check == 10
        if not bad.any():
            return prefix * 10 + check
        prefix[bad] = (prefix[bad] + 1) % 98_999


@register
class NzBankAccount(IdentifierFake):
    name = "nz_bank_account"
    entity = "nz_bank_account"
    summary = "keyed fake NZ bank account (real bank/branch, valid check digit, same layout)"
    technique = "pseudonymisation"
    entities = ("NZ_BANK_ACCOUNT",)
    leak_class = "identifier"
    accepts = TEXT_KINDS
    shape = BANK_ACCOUNT_LAYOUT

    def shaped(self, m: Material) -> np.ndarray:
        return pc.fill_null(pc.is_valid(pc.extract_regex(m.raw, self.shape)), False).to_numpy(zero_copy_only=False)

    def numbers(self, m: Material, shaped: np.ndarray) -> np.ndarray:
        r, rest = pick(m.h[:, 0], len(RANGES))
        offset, rest = pick(rest, 10_000)
        bank, first, count = RANGES[r, 0], RANGES[r, 1], RANGES[r, 2]
        branch = first + offset % count
        base = checked_base(branch, (rest % np.uint64(98_999)).astype(np.int64))
        return (bank * BRANCH + branch) * BASE + base

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        n = len(m)
        bank, branch, base = number // (BRANCH * BASE), (number // BASE) % BRANCH, number % BASE
        parts = pc.extract_regex(m.raw, self.shape)
        parsed = pa.array(shaped)

        def field(name: str, default: str) -> pa.Array:
            return pc.fill_null(pc.struct_field(parts, name), default) if shaped.any() \
                else pa.array([default] * n, pa.string())

        base_width = np.where(pc.utf8_length(field("base", "0000000")).to_numpy(zero_copy_only=False) == 8, 8, 7)
        suffix_text = field("suffix", "000")
        suffix_width = pc.utf8_length(suffix_text).to_numpy(zero_copy_only=False)
        suffix = (m.h[:, 1] % np.uint64(100)).astype(np.int64)
        base_text = pc.if_else(pa.array(base_width == 8), digit_text(base, 8), digit_text(base, 7))
        suffix_3 = digit_text(suffix, 3)
        suffix_out = pc.utf8_slice_codeunits(digit_text(suffix, 4), 0, 4)
        suffix_out = pc.if_else(pa.array(suffix_width == 4), suffix_out, pc.if_else(
            pa.array(suffix_width == 2), pc.utf8_slice_codeunits(suffix_3, 1, 3), suffix_3))
        default_sep = pc.if_else(parsed, "", "-")
        sep = [pc.if_else(parsed, field(s, "-"), default_sep) for s in ("s1", "s2", "s3")]
        return join(digit_text(bank, 2), sep[0], digit_text(branch, 4), sep[1],
                    base_text, sep[2], suffix_out)
