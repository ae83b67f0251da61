from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import FakeParams, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import hex_strings


class HashParams(FakeParams):
    length: int = Field(16, ge=8, le=32, description="hex characters of the token (16 = 64 keyed bits)")
    prefix: str = ""


@register
class Hash(PseudonymStrategy):
    name = "hash"
    entity = "hash"
    normaliser = "exact"
    params_model = HashParams
    summary = "keyed hex token of the exact value (HMAC-derived; not reversible without the key)"
    technique = "pseudonymisation"
    entities = ("IBAN_CODE", "US_SSN", "US_ITIN", "UK_NHS", "CRYPTO", "MAC_ADDRESS")
    leak_class = None
    accepts = TEXT_KINDS

    def render(self, m: Material) -> pa.Array:
        assert isinstance(self.params, HashParams)
        width = self.params.length
        if m.max_len is not None:
            width = max(1, min(width, m.max_len - len(self.params.prefix)))
        token = hex_strings(m.h, width)
        return pc.binary_join_element_wise(self.params.prefix, token, "") if self.params.prefix else token
