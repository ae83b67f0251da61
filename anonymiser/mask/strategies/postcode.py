"""Fake NZ postcodes: the first digit (the broad region) is kept and the other three permuted
(keyed, injective), so region-level analysis still works; other values get 4 keyed digits."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.fakes import matches
from anonymiser.mask.fpe import permute
from anonymiser.mask.pseudonym import Material, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits


@register
class Postcode(PseudonymStrategy):
    name = "postcode"
    entity = "postcode"
    normaliser = "identifier"
    format_preserving = True
    summary = "keyed fake NZ postcode (same first digit)"

    def render(self, m: Material) -> pa.Array:
        shaped = matches(m.norm, r"^\d{3,4}$")
        fresh = (m.h[:, 0] % np.uint64(10_000)).astype(np.int64)
        if not shaped.any():
            return digit_text(fresh, 4)
        value = np.zeros(len(m), dtype=np.int64)
        value[shaped] = pc.cast(m.norm.filter(pa.array(shaped)), pa.int64()).to_numpy()
        if m.attempt:
            new = (value // 1000) * 1000 + fresh % 1000
        else:
            new = (value // 1000) * 1000 + permute(m.key, m.domain, value % 1000, 1000)
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, new), digit_text(fresh, 4))
