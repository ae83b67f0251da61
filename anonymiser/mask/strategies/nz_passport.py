"""Fake NZ passport numbers: the source's letter prefix (LA, LD, LF, LH, EA, N …) is kept and its
6 digits permuted (keyed, injective); other values get a prefix and digits from the material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz import PASSPORT_PREFIXES, PASSPORT_SHAPE
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import choose, join
from anonymiser.mask.identifier_fake import IdentifierFake, digits_of
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text

DIGITS = 6
TWO_LETTER_PREFIXES = pa.array(PASSPORT_PREFIXES[:-1])     # a fresh number never gets the old "N"


@register
class NzPassport(IdentifierFake):
    name = "nz_passport"
    entity = "nz_passport"
    summary = "keyed fake NZ passport number (same letter prefix, 6 digits)"
    technique = "pseudonymisation"
    entities = ("NZ_PASSPORT",)
    leak_class = "identifier"
    accepts = TEXT_KINDS
    shape = PASSPORT_SHAPE
    space = 10**DIGITS

    def fresh(self, m: Material, spaces: np.ndarray) -> np.ndarray:
        _, rest = pick(m.h[:, 0], len(TWO_LETTER_PREFIXES))
        return (rest % np.uint64(self.space)).astype(np.int64)

    def source_part(self, m: Material, rows: np.ndarray, spaces: np.ndarray) -> np.ndarray:
        return digits_of(m.norm, rows, -DIGITS)

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        choice, _ = pick(m.h[:, 0], len(TWO_LETTER_PREFIXES))
        prefix = choose(TWO_LETTER_PREFIXES, choice)
        kept = shaped & (m.attempt == 0)      # a re-draw takes a fresh prefix as well
        if kept.any():
            prefix = pc.if_else(pa.array(kept), pc.utf8_slice_codeunits(m.norm, 0, -DIGITS), prefix)
        return join(prefix, digit_text(number, DIGITS))
