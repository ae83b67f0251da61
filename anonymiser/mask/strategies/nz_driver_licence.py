"""Fake NZ driver licence numbers (``AA999999``). A source of that shape is permuted with a keyed
permutation over all 676 million such numbers (injective); other values get one from the material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from anonymiser.identifiers.nz import DRIVER_LICENCE_SHAPE
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.identifier_fake import IdentifierFake
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import UPPER, ascii_matrix, digit_matrix, fixed_width, matrix_number

DIGITS = 10**6


@register
class NzDriverLicence(IdentifierFake):
    name = "nz_driver_licence"
    entity = "nz_driver_licence"
    summary = "keyed fake NZ driver licence number (2 letters, 6 digits)"
    technique = "pseudonymisation"
    entities = ("NZ_DRIVER_LICENCE",)
    leak_class = "identifier"
    accepts = TEXT_KINDS
    shape = DRIVER_LICENCE_SHAPE
    space = 26 * 26 * DIGITS

    def source_part(self, m: Material, rows: np.ndarray, spaces: np.ndarray) -> np.ndarray:
        b = ascii_matrix(m.norm.take(pa.array(rows)), 8)
        return ((b[:, 0] - 65) * 26 + (b[:, 1] - 65)) * DIGITS + matrix_number(b[:, 2:])

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        letters = number // DIGITS
        mat = np.empty((len(m), 8), dtype=np.uint8)
        mat[:, 0], mat[:, 1] = UPPER[letters // 26], UPPER[letters % 26]
        mat[:, 2:] = digit_matrix(number % DIGITS, 6)
        return fixed_width(mat)
