"""Fake NZBNs: ``9429`` + 8 digits + GS1 check digit. A valid-shaped source keeps its layout and has
its 8 body digits permuted (keyed, injective); other values get a body from the keyed material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz_vec import gs1_check_digits
from anonymiser.mask.fakes import matches
from anonymiser.mask.fpe import permute
from anonymiser.mask.pseudonym import Material, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits

PREFIX = 9429 * 10**8
BODY = 10**8


@register
class Nzbn(PseudonymStrategy):
    name = "nzbn"
    entity = "nzbn"
    normaliser = "identifier"
    format_preserving = True
    summary = "keyed fake NZBN (9429…) with a valid GS1 check digit"

    def render(self, m: Material) -> pa.Array:
        shaped = matches(m.norm, r"^9429\d{9}$")
        body = (m.h[:, 0] % np.uint64(BODY)).astype(np.int64)
        if m.attempt == 0 and shaped.any():
            src = pc.cast(pc.utf8_slice_codeunits(m.norm.filter(pa.array(shaped)), 4, 12), pa.int64()).to_numpy()
            body[shaped] = permute(m.key, m.domain, src, BODY)
        first12 = PREFIX + body
        full = first12 * 10 + gs1_check_digits(first12, 12)
        plain = digit_text(full, 13)
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, full), plain) if shaped.any() else plain
