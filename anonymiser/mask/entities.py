"""Pseudonyms for entities found in free text, identical to the column strategies' fakes.

``free_text`` (detection finds spans) calls ``pseudonymise("PERSON", spans, key)`` so "Aroha Ngata"
in a ticket body becomes the same fake as in ``customer.full_name`` masked with ``person_name``:
both go through the same strategy, domain and normalisation. Which strategy an entity type gets is
what the strategies declare (``entities``; see ``registry.for_entity``).

DATE_TIME is claimed by ``keep`` on purpose: dates in prose ("next Tuesday", "in 2019") are rarely
identifying on their own, a keyed shift needs an entity to key by (which free text lacks), and
shifting them independently would make the text inconsistent with the row's shifted date columns.
Unclaimed entity types get a keyed ``redact`` token (``<ENTITY>-3f9a…``), never the original.
"""

from __future__ import annotations

import functools

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask import columnar, registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.source_values import SourceValues
from anonymiser.schema import ColumnInfo

_TEXT = ColumnInfo(name="free_text", kind="text", sql_type="TEXT")


@functools.lru_cache(maxsize=64)
def _strategy(entity_type: str) -> PseudonymStrategy | None:
    """The strategy for an entity's spans; None where the spans stay as written."""
    name = registry.for_entity(entity_type)
    if name == "keep":
        return None
    strategy = registry.build("redact", {"value": entity_type, "keyed": True}) if name is None \
        else registry.build(name, {})
    assert isinstance(strategy, PseudonymStrategy), f"{name} cannot fake spans"
    return strategy


def pseudonymise(entity_type: str, values: pa.Array, key: bytes,
                 source_values: SourceValues | None = None) -> pa.Array:
    """Fakes for entity spans (same length as ``values``, as text; NULL stays NULL). With the run's
    ``source_values``, a fake that equals one is drawn again exactly as in a structured column."""
    strategy = _strategy(entity_type)
    text = columnar.as_text(values)
    if strategy is None:
        return text
    encoded = pc.dictionary_encode(text)
    fakes = strategy.pseudonyms(encoded.dictionary, MaskContext(key=key, table="", column=_TEXT,
                                                                 source_values=source_values))
    return pc.take(fakes, encoded.indices)
