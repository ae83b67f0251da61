"""Fake NZ postcodes: the first digit (the broad region) is kept and the other three permuted
(keyed, injective), so region-level analysis still works; other values get 4 keyed digits."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.identifier_fake import IdentifierFake, digits_of
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits

REGION = 1000      # the permuted part: the digits after the first


@register
class Postcode(IdentifierFake):
    name = "postcode"
    entity = "postcode"
    summary = "keyed fake NZ postcode (same first digit)"
    technique = "pseudonymisation"
    entities = ("NZ_POSTCODE",)
    leak_class = "dictionary"
    accepts = TEXT_KINDS | {"integer"}
    shape = r"\d{3,4}"     # 3 digits: a postcode stored as an integer loses its leading zero
    space = REGION
    max_digits = 4

    def fresh(self, m: Material, spaces: np.ndarray) -> np.ndarray:
        return (m.h[:, 0] % np.uint64(10_000)).astype(np.int64)

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        if not shaped.any():
            return digit_text(number, 4)
        value = np.zeros(len(m), dtype=np.int64)
        value[shaped] = digits_of(m.norm, np.flatnonzero(shaped))
        new = (value // REGION) * REGION + number % REGION
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, new), digit_text(number, 4))
