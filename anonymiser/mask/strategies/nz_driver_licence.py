"""Fake NZ driver licence numbers (``AA999999``). A source of that shape is permuted with a keyed
permutation over all 676 million such numbers (injective); other values get one from the material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from anonymiser.mask.fakes import matches
from anonymiser.mask.fpe import permute
from anonymiser.mask.pseudonym import Material, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import UPPER, ascii_matrix, digit_matrix, fixed_width, matrix_number

SPACE = 26 * 26 * 10**6


@register
class NzDriverLicence(PseudonymStrategy):
    name = "nz_driver_licence"
    entity = "nz_driver_licence"
    normaliser = "identifier"
    format_preserving = True
    summary = "keyed fake NZ driver licence number (2 letters, 6 digits)"

    def render(self, m: Material) -> pa.Array:
        shaped = matches(m.norm, r"^[A-Z]{2}\d{6}$")
        number = (m.h[:, 0] % np.uint64(SPACE)).astype(np.int64)
        if m.attempt == 0 and shaped.any():
            src = m.norm.filter(pa.array(shaped))
            b = ascii_matrix(src, 8)
            value = ((b[:, 0] - 65) * 26 + (b[:, 1] - 65)) * 10**6 + matrix_number(b[:, 2:])
            number[shaped] = permute(m.key, m.domain, value, SPACE)
        letters = number // 10**6
        mat = np.empty((len(m), 8), dtype=np.uint8)
        mat[:, 0], mat[:, 1] = UPPER[letters // 26], UPPER[letters % 26]
        mat[:, 2:] = digit_matrix(number % 10**6, 6)
        return fixed_width(mat)

