"""``free_text``: find personal spans in prose with Presidio and replace only those spans.

Factorize the column (identical cells are analysed once), analyse the distinct cells in batches
(on both cores when there are enough), then pseudonymise every distinct span per entity with the
same keyed functions as structured columns: "Aroha Ngata" in a ticket body becomes the same fake
as in ``customer.name``. Text between spans is kept as written.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.mask import columnar
from anonymiser.mask.base import MaskContext, Strategy, StrategyParams
from anonymiser.mask.registry import register

if TYPE_CHECKING:
    from anonymiser.detect.analyze import Hit

# Spans replaced by default. ORGANIZATION is included because small NER models often label a
# person as an organisation; masking a company name by mistake leaks nothing.
DEFAULT_ENTITIES = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "NZ_IRD", "NZ_NHI", "NZ_BANK_ACCOUNT",
    "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "NZBN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL", "US_SSN",
    "UK_NHS", "ORGANIZATION",
)


class FreeTextParams(StrategyParams):
    entities: list[str] = Field(default_factory=lambda: list(DEFAULT_ENTITIES))
    threshold: float = Field(0.35, ge=0.0, le=1.0)   # Presidio score a span needs to be replaced


def pseudonymise_spans(entity: str, spans: list[str], key: bytes) -> list[str]:
    """Fakes for distinct span texts of one entity, from the structured columns' domain."""
    from anonymiser.mask.entities import pseudonymise

    return [str(v) for v in pseudonymise(entity, pd.Series(spans, dtype=object), key).tolist()]


@register
class FreeText(Strategy):
    name = "free_text"
    params_model = FreeTextParams
    technique = "pseudonymisation"
    summary = "Presidio + NZ recognizers find personal spans; each span is replaced by a consistent pseudonym"

    def mask(self, values: pd.Series, ctx: MaskContext) -> pd.Series:
        from anonymiser.detect.analyze import analyze_texts, resolve_overlaps

        params = self.params
        assert isinstance(params, FreeTextParams)
        arr = columnar.as_text(columnar.to_arrow(values))
        encoded = pc.dictionary_encode(arr)
        distinct: list[str] = encoded.dictionary.to_pylist()
        hits = analyze_texts(distinct, entities=params.entities, threshold=params.threshold)
        spans = [resolve_overlaps([h for h in text_hits if not _acronym(text, h)])
                 for text, text_hits in zip(distinct, hits, strict=True)]

        # Every distinct (entity, span text) is pseudonymised once, in one batch per entity.
        wanted: dict[str, set[str]] = defaultdict(set)
        for text, text_spans in zip(distinct, spans, strict=True):
            for s in text_spans:
                wanted[s.entity].add(text[s.start:s.end])
        fakes: dict[tuple[str, str], str] = {}
        for entity, texts in wanted.items():
            ordered = sorted(texts)
            fakes.update(zip(((entity, t) for t in ordered), pseudonymise_spans(entity, ordered, ctx.key),
                             strict=True))

        rebuilt = [_splice(text, text_spans, fakes) for text, text_spans in zip(distinct, spans, strict=True)]
        out = pa.array(rebuilt, pa.string())
        if ctx.column.length:
            out = pc.utf8_slice_codeunits(out, 0, ctx.column.length)
        indices = encoded.indices
        result = pc.take(out, indices) if len(out) else pa.nulls(len(arr), pa.string())
        self.stats.cells += len(values)
        self.stats.distinct += len(distinct)
        self.stats.nulls += arr.null_count
        self.stats.extra["spans"] = self.stats.extra.get("spans", 0) + int(np.sum([len(s) for s in spans]))
        return columnar.from_arrow(result, values)


def _acronym(text: str, hit: Hit) -> bool:
    # Small NER models call agency acronyms ("IRD", "NHI") organisations: not personal, keep them.
    span = text[hit.start:hit.end]
    return hit.entity == "ORGANIZATION" and len(span) <= 6 and not any(c.islower() for c in span)


def _splice(text: str, text_spans: list[Hit], fakes: dict[tuple[str, str], str]) -> str:
    if not text_spans:
        return text
    parts: list[str] = []
    pos = 0
    for s in text_spans:
        parts.append(text[pos:s.start])
        parts.append(fakes[(s.entity, text[s.start:s.end])])
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)
