from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import RESERVED_EMAIL_DOMAINS, choose, join
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import hex_strings


@register
class Url(PseudonymStrategy):
    name = "url"
    entity = "url"
    normaliser = "text"
    summary = "keyed fake URL on a reserved domain (https://www.example.org/p/3f9a…)"
    technique = "pseudonymisation"
    entities = ("URL",)
    leak_class = "identifier"
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        domain, _ = pick(m.h[:, 1], len(RESERVED_EMAIL_DOMAINS))
        scheme = pc.if_else(pc.fill_null(pc.starts_with(m.norm, "http://"), False), "http://", "https://")
        token = hex_strings(m.h, 12)
        host = join("www.", choose(pa.array(RESERVED_EMAIL_DOMAINS), domain))
        return join(scheme, host, "/p/", token)


