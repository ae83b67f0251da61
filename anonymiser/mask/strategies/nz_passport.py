"""Fake NZ passport numbers: the source's letter prefix (LA, LD, LF, LH, EA, N …) is kept and its
6 digits permuted (keyed, injective); other values get a prefix and digits from the material."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz import PASSPORT_PREFIXES
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import choose, join
from anonymiser.mask.fpe import permute
from anonymiser.mask.pseudonym import Material, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text

PATTERN = r"^(?P<prefix>[A-Z]{2}|N)(?P<number>\d{6})$"


@register
class NzPassport(PseudonymStrategy):
    name = "nz_passport"
    entity = "nz_passport"
    normaliser = "identifier"
    format_preserving = True
    summary = "keyed fake NZ passport number (same letter prefix, 6 digits)"

    def render(self, m: Material) -> pa.Array:
        parts = pc.extract_regex(m.norm, PATTERN)
        shaped = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False) & (m.attempt == 0)
        choice, rest = pick(m.h[:, 0], len(PASSPORT_PREFIXES) - 1)     # two-letter prefixes only
        prefix = choose(pa.array(PASSPORT_PREFIXES[:-1]), choice)
        number = (rest % np.uint64(10**6)).astype(np.int64)
        if shaped.any():
            src = pc.struct_field(parts, "prefix")
            prefix = pc.if_else(pa.array(shaped), pc.fill_null(src, ""), prefix)
            digits = pc.cast(pc.fill_null(pc.struct_field(parts, "number"), "0"), pa.int64()).to_numpy()
            number[shaped] = permute(m.key, m.domain, digits[shaped], 10**6)
        return join(prefix, digit_text(number, 6))
