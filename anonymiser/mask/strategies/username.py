from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import join, number_text, slug_name
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register


@register
class Username(PseudonymStrategy):
    name = "username"
    entity = "username"
    normaliser = "email"       # trim + lower case: user names are usually case-insensitive
    summary = "keyed fake user name (aroha.ngata4821)"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "identifier"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        local, _ = slug_name(m.h[:, 0])
        number, _ = pick(m.h[:, 1], 100_000)
        digits = number_text(number)
        if m.max_len is not None:
            local = pc.utf8_slice_codeunits(local, 0, max(m.max_len - 5, 1))
        return join(local, digits)
