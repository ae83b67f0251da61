"""``free_text``: find personal spans in prose and replace only those spans.

Factorize the column (identical cells are analysed once), hand the distinct cells to the span
finder detection provides (``ctx.find_spans``: Presidio + NZ recognizers, on both cores when there
are enough), then pseudonymise every distinct span per entity with the same keyed functions as
structured columns: "Aroha Ngata" in a ticket body becomes the same fake as in ``customer.name``.
Text between spans is kept as written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.errors import MaskError
from anonymiser.mask import columnar, entities
from anonymiser.mask.base import MaskContext, Span, Strategy, StrategyParams
from anonymiser.mask.registry import register

# Spans replaced by default. ORGANIZATION is included because small NER models often label a
# person as an organisation; masking a company name by mistake leaks nothing.
DEFAULT_ENTITIES = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "NZ_IRD", "NZ_NHI", "NZ_BANK_ACCOUNT",
    "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "NZBN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL", "US_SSN",
    "UK_NHS", "ORGANIZATION",
)
FREE_TEXT_THRESHOLD = 0.35     # the score a span needs to be replaced


class FreeTextParams(StrategyParams):
    entities: list[str] = Field(default_factory=lambda: list(DEFAULT_ENTITIES))
    threshold: float = Field(FREE_TEXT_THRESHOLD, ge=0.0, le=1.0)


def pseudonymise_spans(entity: str, spans: list[str], key: bytes) -> list[str]:
    """Fakes for distinct span texts of one entity, from the structured columns' domain."""
    return [str(v) for v in entities.pseudonymise(entity, pa.array(spans, pa.string()), key).to_pylist()]


@register
class FreeText(Strategy):
    name = "free_text"
    params_model = FreeTextParams
    summary = "detection finds personal spans (Presidio + NZ recognizers); each span gets a consistent pseudonym"
    technique = "pseudonymisation"
    entities = ()
    leak_class = None
    accepts = frozenset({"string", "text"})

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        params = self.params
        assert isinstance(params, FreeTextParams)
        if ctx.find_spans is None:
            raise MaskError(
                "free_text needs PII detection to find the spans, and none was provided",
                table=ctx.table, column=ctx.column.name,
                hint="Install anonymiser with its detection dependencies (presidio-analyzer), or mask this "
                     "column with 'redact' or 'null'.",
            )
        arr = columnar.as_text(values)
        encoded = pc.dictionary_encode(arr)
        distinct: list[str] = encoded.dictionary.to_pylist()
        spans = ctx.find_spans(distinct, entities=params.entities, threshold=params.threshold)

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
        result = pc.take(out, encoded.indices) if len(out) else pa.nulls(len(arr), pa.string())
        self.stats.cells += len(values)
        self.stats.distinct += len(distinct)
        self.stats.nulls += arr.null_count
        self.stats.extra["spans"] = self.stats.extra.get("spans", 0) + sum(len(s) for s in spans)
        return result


def _splice(text: str, spans: Sequence[Span], fakes: dict[tuple[str, str], str]) -> str:
    if not spans:
        return text
    out, at = [], 0
    for s in spans:
        out.append(text[at:s.start])
        out.append(fakes[(s.entity, text[s.start:s.end])])
        at = s.end
    out.append(text[at:])
    return "".join(out)
