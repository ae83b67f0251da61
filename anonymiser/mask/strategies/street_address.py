from __future__ import annotations

import numpy as np
import pyarrow as pa

from anonymiser.mask import dictionaries
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import choose, join, match_case, number_text
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register

MAX_HOUSE_NUMBER = 400


def street_line(h: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """"42 Kauri Street" from keyed bits, and the leftover bits."""
    d = dictionaries.load()
    street, rest = pick(h, len(d.streets))
    number, rest = pick(rest, MAX_HOUSE_NUMBER)
    return join(number_text(number + 1), choose(d.streets, street), sep=" "), rest


@register
class StreetAddress(PseudonymStrategy):
    name = "street_address"
    entity = "street_address"
    normaliser = "name"
    summary = "keyed fake street line (number and street)"
    technique = "pseudonymisation"
    entities = ("STREET_ADDRESS",)
    leak_class = "composite"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        line, _ = street_line(m.h[:, 0])
        return match_case(m.raw, line)
