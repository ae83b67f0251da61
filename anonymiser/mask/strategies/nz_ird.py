"""Fake IRD numbers that pass the mod-11 check, in the source's layout (``49-091-850``).

A valid-shaped source (8 or 9 digits, 10,000,000–150,000,000) has its 8-digit base permuted with a
keyed permutation inside the same digit-count band, cycle-walking past bases that have no check
digit, so the fake keeps its length and distinct IRD numbers stay distinct. Other values get a
9-digit IRD number from the keyed material.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz import IRD_MAX, IRD_MIN, IRD_SHAPE
from anonymiser.identifiers.nz_vec import ird_check_digits
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.fpe import permute_in
from anonymiser.mask.identifier_fake import IdentifierFake, digits_of
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits

BANDS = ((1_000_000, 9_999_999), (10_000_000, 15_000_000))   # bases of 8- and 9-digit IRD numbers


def valid_bases(key: bytes, domain: str, base: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Permuted bases that have a check digit."""
    out = permute_in(key, domain, base, lo, hi)
    check = ird_check_digits(out)
    todo = np.flatnonzero(check < 0)
    while len(todo):          # cycle walking: stays a bijection on the bases with a check digit
        out[todo] = permute_in(key, domain, out[todo], lo, hi)
        check[todo] = ird_check_digits(out[todo])
        todo = todo[check[todo] < 0]
    return out


@register
class NzIrd(IdentifierFake):
    name = "nz_ird"
    entity = "nz_ird"
    summary = "keyed fake IRD number with a valid check digit, same layout"
    technique = "pseudonymisation"
    entities = ("NZ_IRD",)
    leak_class = "identifier"
    accepts = TEXT_KINDS | {"integer"}
    shape = IRD_SHAPE
    max_digits = 9

    def numbers(self, m: Material, shaped: np.ndarray) -> np.ndarray:
        """The fake's 8-digit base (the number without its check digit)."""
        number = np.zeros(len(m), dtype=np.int64)
        number[shaped] = digits_of(m.norm, np.flatnonzero(shaped))
        base = number // 10
        # Only genuine IRD numbers are permuted (their bases are distinct, so fakes are too).
        valid = shaped & (number >= IRD_MIN) & (number <= IRD_MAX) & (ird_check_digits(base) == number % 10)
        eight = _eight_digits(m, shaped)
        new = np.zeros(len(m), dtype=np.int64)
        for band, (lo, hi) in enumerate(BANDS):
            in_band = eight if band == 0 else ~eight
            permuted = valid & in_band & (m.attempt == 0)
            rows = np.flatnonzero(permuted)
            new[rows] = valid_bases(m.key, m.domain, base[rows], lo, hi)
            # Not an IRD number (or resolving a collision): a base from the keyed material, same band.
            fresh = np.flatnonzero(in_band & ~permuted)
            candidate = lo + (m.h[fresh, 0] % np.uint64(hi - lo + 1)).astype(np.int64)
            new[fresh] = valid_bases(m.key, m.domain + "/fresh", candidate, lo, hi)
        return new

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        eight = _eight_digits(m, shaped)
        return keep_layout(m.raw, shaped & ~eight, eight, number * 10 + ird_check_digits(number))


def _eight_digits(m: Material, shaped: np.ndarray) -> np.ndarray:
    return shaped & (pc.utf8_length(m.norm).to_numpy(zero_copy_only=False) == 8)


def keep_layout(raw: pa.Array, nine: np.ndarray, eight: np.ndarray, full: np.ndarray) -> pa.Array:
    """The fake in the source's layout: plain digits stay plain, separators stay where they were."""
    out = digit_text(full, 8)          # 8-digit band fakes have 8 digits, 9-digit band fakes 9
    separated = np.flatnonzero((nine | eight) & (pc.utf8_length(raw).to_numpy(zero_copy_only=False) > 9 - eight))
    if len(separated):
        rows = pa.array(separated)
        mask = np.zeros(len(raw), dtype=bool)
        mask[separated] = True
        out = pc.replace_with_mask(out, pa.array(mask), fill_digits(raw.take(rows), full[separated]))
    return out
