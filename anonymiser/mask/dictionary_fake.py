"""Fakes drawn from one dictionary (first/last names, companies, suburbs, cities)."""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask import dictionaries
from anonymiser.mask.core import pick, prf
from anonymiser.mask.fakes import choose, match_case
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy


class DictionaryFake(PseudonymStrategy):
    """One keyed pick from ``dictionaries.load().<dictionary>``; all-caps sources give all-caps fakes."""

    dictionary: ClassVar[str]
    normaliser = "name"

    def render(self, m: Material) -> pa.Array:
        values: pa.Array = getattr(dictionaries.load(), self.dictionary)
        h = m.h[:, 0]
        if m.attempt:     # resolving a collision: the domain's PRF of the salted value
            h = prf(m.key, m.domain, pc.binary_join_element_wise(m.norm, f"#{m.attempt}", ""))[:, 0]
        idx, _ = pick(h, len(values))
        return match_case(m.raw, choose(values, idx))
