"""Replace every value with a fixed placeholder. On a unique column (or with ``keyed: true``) the
placeholder gets a keyed suffix, ``REDACTED-3f9a0c1d``, so the column stays unique and joins hold."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import FakeParams, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import hex_strings


class RedactParams(FakeParams):
    value: str = "REDACTED"
    keyed: bool = False


@register
class Redact(PseudonymStrategy):
    name = "redact"
    entity = "redact"
    normaliser = "exact"
    params_model = RedactParams
    technique = "suppression"
    summary = "fixed placeholder (keyed suffix on unique columns)"
    entities = ()
    leak_class = None
    accepts = TEXT_KINDS | {"binary"}

    def render(self, m: Material) -> pa.Array:
        assert isinstance(self.params, RedactParams)
        if self.params.keyed or m.unique:
            return pc.binary_join_element_wise(self.params.value, hex_strings(m.h, 16), "-")
        return pa.array([self.params.value] * len(m), pa.string())
