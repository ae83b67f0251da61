"""Fake NZBNs: ``9429`` + 8 digits + GS1 check digit. A valid-shaped source keeps its layout and has
its 8 body digits permuted (keyed, injective); other values get a body from the keyed material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz import NZBN_PREFIX, NZBN_SHAPE
from anonymiser.identifiers.nz_vec import gs1_check_digits
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.identifier_fake import IdentifierFake
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits

BODY = 10**8
PREFIX = int(NZBN_PREFIX) * BODY


@register
class Nzbn(IdentifierFake):
    name = "nzbn"
    entity = "nzbn"
    summary = "keyed fake NZBN (9429…) with a valid GS1 check digit"
    technique = "pseudonymisation"
    entities = ("NZBN",)
    leak_class = "identifier"
    accepts = TEXT_KINDS | {"integer"}
    shape = NZBN_SHAPE
    space = BODY
    check_digits = 1
    max_digits = 13

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        first12 = PREFIX + number
        full = first12 * 10 + gs1_check_digits(first12, 12)
        plain = digit_text(full, 13)
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, full), plain) if shaped.any() else plain
