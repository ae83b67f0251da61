"""Fake NHI numbers from the ``Z…`` range reserved for testing, with a valid check character.

The source's format is kept (old ``AAANNNC`` or new ``AAANNAC``; anything else gets the new one).
The Z range holds ~1.9 million numbers, so a unique NHI column with many values relies on the
uniqueness resolver (see ``anonymiser.mask.unique``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from anonymiser.identifiers.nz_vec import nhi_check_new, nhi_check_old
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import matches
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import fixed_width

LETTERS = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
Z = 23   # index of Z in LETTERS


@register
class NzNhi(PseudonymStrategy):
    name = "nz_nhi"
    entity = "nz_nhi"
    normaliser = "identifier"
    summary = "keyed fake NHI number from the Z… test range, valid check character"
    technique = "pseudonymisation"
    entities = ("NZ_NHI",)
    leak_class = "identifier"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        old = matches(m.norm, r"^[A-Z]{3}\d{4}$")
        n = len(m)
        l2, rest = pick(m.h[:, 0], 24)
        l3, rest = pick(rest, 24)
        digits, rest = pick(rest, 1000)
        l6, _ = pick(rest, 24)
        # Values of the first six characters (letters A=1 … Z=24, digits as themselves).
        v = np.zeros((n, 6), dtype=np.int64)
        v[:, 0], v[:, 1], v[:, 2] = Z + 1, l2 + 1, l3 + 1
        v[:, 3], v[:, 4] = digits // 100, (digits // 10) % 10
        v[:, 5] = np.where(old, digits % 10, l6 + 1)
        check_old = nhi_check_old(v)
        while (bad := old & (check_old < 0)).any():     # no check digit: step the last digit
            v[bad, 5] = (v[bad, 5] + 1) % 10
            check_old = nhi_check_old(v)
        mat = np.empty((n, 7), dtype=np.uint8)
        mat[:, 0] = LETTERS[Z]
        mat[:, 1], mat[:, 2] = LETTERS[l2], LETTERS[l3]
        mat[:, 3], mat[:, 4] = 0x30 + v[:, 3], 0x30 + v[:, 4]
        mat[:, 5] = np.where(old, 0x30 + v[:, 5], LETTERS[np.clip(v[:, 5] - 1, 0, 23)])
        mat[:, 6] = np.where(old, 0x30 + np.maximum(check_old, 0), LETTERS[nhi_check_new(v)])
        return fixed_width(mat)
