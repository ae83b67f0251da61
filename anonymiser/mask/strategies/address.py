from __future__ import annotations

import pyarrow as pa

from anonymiser.mask import dictionaries
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import choose, join, match_case, number_text
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.strategies.street_address import street_line


@register
class Address(PseudonymStrategy):
    name = "address"
    entity = "address"
    normaliser = "name"
    summary = "keyed fake one-line NZ address (street, suburb, city postcode)"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "composite"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        d = dictionaries.load()
        line, _ = street_line(m.h[:, 0])
        suburb, rest = pick(m.h[:, 1], len(d.suburbs))
        city, rest = pick(rest, len(d.cities))
        postcode, _ = pick(rest, 9000)
        tail = join(choose(d.cities, city), number_text(postcode + 1000), sep=" ")
        return match_case(m.raw, join(line, choose(d.suburbs, suburb), tail, sep=", "))
