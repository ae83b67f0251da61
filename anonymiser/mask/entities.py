"""Pseudonyms for entities found in free text, identical to the column strategies' fakes.

``free_text`` (Presidio finds spans) calls ``pseudonymise("PERSON", spans, key)`` so "Aroha Ngata"
in a ticket body becomes the same fake as in ``customer.full_name`` masked with ``person_name``:
both go through the same strategy, domain and normalisation.

DATE_TIME is left unchanged on purpose: dates in prose ("next Tuesday", "in 2019") are rarely
identifying on their own, a keyed shift needs an entity to key by (which free text lacks), and
shifting them independently would make the text inconsistent with the row's shifted date columns.
Unknown entity types get a keyed ``redact`` token (``<ENTITY>-3f9a…``), never the original.
"""

from __future__ import annotations

import functools

import pandas as pd

from anonymiser.mask import columnar, registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.schema import ColumnInfo

ENTITY_STRATEGIES: dict[str, str] = {
    "PERSON": "person_name",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "NZ_PHONE_NUMBER": "phone",
    "NZ_IRD": "nz_ird",
    "NZ_NHI": "nz_nhi",
    "NZ_BANK_ACCOUNT": "nz_bank_account",
    "NZ_DRIVER_LICENCE": "nz_driver_licence",
    "NZ_PASSPORT": "nz_passport",
    "NZBN": "nzbn",
    "IP_ADDRESS": "ip_address",
    "URL": "url",
    "CREDIT_CARD": "credit_card",
    "STREET_ADDRESS": "street_address",
    "LOCATION": "city",
    "NZ_POSTCODE": "postcode",
    "ORGANIZATION": "company",
    "DATE_TIME": "keep",
}
UNCHANGED = frozenset(e for e, s in ENTITY_STRATEGIES.items() if s == "keep")
_TEXT = ColumnInfo(name="free_text", kind="text", sql_type="TEXT")


@functools.lru_cache(maxsize=64)
def _strategy(entity_type: str) -> PseudonymStrategy:
    name = ENTITY_STRATEGIES.get(entity_type)
    if name is None:
        strategy = registry.build("redact", {"value": entity_type, "keyed": True})
    else:
        strategy = registry.build(name, {})
    assert isinstance(strategy, PseudonymStrategy)
    return strategy


def pseudonymise(entity_type: str, values: pd.Series, key: bytes) -> pd.Series:
    """Fakes for entity spans (same length and index as ``values``; NULL stays NULL)."""
    if entity_type in UNCHANGED:
        return values.copy()
    strategy = _strategy(entity_type)
    ctx = MaskContext(key=key, table="", column=_TEXT)
    arr = columnar.as_text(columnar.to_arrow(values))
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(arr)
    fakes = strategy.pseudonyms(encoded.dictionary, ctx)
    return columnar.from_arrow(pc.take(fakes, encoded.indices), values)
