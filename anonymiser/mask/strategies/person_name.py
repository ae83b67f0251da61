"""Fake person names, token by token, so full-name, first-name and last-name columns agree.

"Aroha Ngata" → fake_given("aroha") + " " + fake_family("ngata"), where fake_given is exactly what
``first_name`` gives "Aroha" and fake_family what ``last_name`` gives "Ngata" (domains
``given_name`` and ``family_name``). Middle names are dropped, a family name keeps its particles
("Ludo van der Berg" → given("ludo") + family("van der berg")); a one-word value is treated as a
given name. All-caps sources give all-caps fakes.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.fakes import family_for, given_for, join, match_case, name_tokens
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register


def token_domains(domain: str, default: str) -> tuple[str, str]:
    """The given/family domains: the shared ones, or ones derived from an overriding domain."""
    if domain == default:
        return "given_name", "family_name"
    return f"{domain}:given", f"{domain}:family"


@register
class PersonName(PseudonymStrategy):
    name = "person_name"
    entity = "person_name"
    normaliser = "name"
    summary = "keyed fake full name (given + family, each consistent with first_name/last_name)"
    technique = "pseudonymisation"
    entities = ("PERSON",)
    leak_class = "composite"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        head, tail, several = name_tokens(m.norm)
        given_domain, family_domain = token_domains(m.domain, self.entity)
        if m.attempt:       # resolving a collision: salt the tokens with the attempt number
            head = pc.binary_join_element_wise(head, f"#{m.attempt}", "")
            tail = pc.binary_join_element_wise(tail, f"#{m.attempt}", "")
        given = given_for(m.key, given_domain, head)
        full = join(given, family_for(m.key, family_domain, tail), sep=" ")
        return match_case(m.raw, pc.if_else(several, full, given))
