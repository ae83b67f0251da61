"""``free_text``: find personal spans in prose and replace only those spans.

Factorize the column (identical cells are analysed once), hand the distinct cells to the span
finder detection provides (``ctx.find_spans``: Presidio + NZ recognizers, on both cores when there
are enough), then pseudonymise every distinct span per entity with the same keyed functions as
structured columns: "Aroha Ngata" in a ticket body becomes the same fake as in ``customer.name``.
Text between spans is kept as written.

Names and addresses are replaced **part by part** when the finder gives their parts: a given name
with ``first_name``, a family name with ``last_name`` (so "Aroha Ngata" becomes exactly what
``person_name`` makes of it, and "Aroha" alone later in the cell becomes that fake's given name), and
an address line by line: the street with ``street_address``, suburb and city with ``suburb``;
postcodes, PO box, unit and rural delivery numbers and state codes with ``remap`` (keyed, keeps the
layout: "SW1A 1AA" stays letter-digit shaped, "Apt. 795" an apartment); a country stays.
Separators and line breaks between the parts stay as written: a three-line address stays three lines.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from anonymiser.errors import MaskError
from anonymiser.mask import columnar, entities, registry
from anonymiser.mask.base import MaskContext, Span, Strategy, StrategyParams
from anonymiser.mask.registry import register
from anonymiser.mask.source_values import SourceValues
from anonymiser.schema import ColumnInfo

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


# Part role → the structured strategy that fakes it (None: the part stays as written).
PART_STRATEGIES: dict[str, str | None] = {
    "given": "first_name", "middle": "first_name", "family": "last_name",
    "street": "street_address", "box": "remap", "locality": "suburb", "postcode": "remap",
    "region": "remap", "unit": "remap", "rd": "remap", "country": None,
}
_NUMBER = re.compile(r"\d+[A-Za-z]?")
_REMAP_ATTEMPTS = 16
_PART_COLUMN = ColumnInfo(name="free_text", kind="text", sql_type="TEXT")
# One replaced piece of a cell: (start, end, kind) where kind is an entity or "part:<strategy>".
Piece = tuple[int, int, str]


def pseudonymise_spans(entity: str, spans: list[str], key: bytes,
                       source_values: SourceValues | None = None) -> list[str]:
    """Fakes for distinct span texts of one entity, from the structured columns' domain (and, given the
    run's source values, never one of them: the same fake the structured column gives)."""
    if entity == "part:remap":
        return _remapped_parts(spans, key)
    if entity.startswith("part:"):
        ctx = MaskContext(key=key, table="", column=_PART_COLUMN, source_values=source_values)
        return [str(v) for v in _part_strategy(entity[5:]).mask(pa.array(spans, pa.string()), ctx).to_pylist()]
    return [str(v) for v in entities.pseudonymise(entity, pa.array(spans, pa.string()), key,
                                                  source_values=source_values).to_pylist()]


def _remapped_parts(spans: list[str], key: bytes) -> list[str]:
    """Numbers and codes of an address (box, unit, RD, postcode) through ``remap``. A permutation of a
    small domain has fixed points ("PO Box 17" would stay "PO Box 17"): such a part is remapped again
    in another keyed domain until it changes (a one-digit number is among ten values)."""
    ctx = MaskContext(key=key, table="", column=_PART_COLUMN)
    out = [str(v) for v in _part_strategy("remap").mask(pa.array(spans, pa.string()), ctx).to_pylist()]
    for attempt in range(1, _REMAP_ATTEMPTS + 1):
        same = [i for i, (fake, span) in enumerate(zip(out, spans, strict=True))
                if fake == span and any(c.isalnum() for c in span)]
        if not same:
            break
        again = _part_strategy("remap", f"free_text_part/{attempt}").mask(
            pa.array([spans[i] for i in same], pa.string()), ctx).to_pylist()
        for i, fake in zip(same, again, strict=True):
            out[i] = str(fake)
    return out


@functools.lru_cache(maxsize=32)
def _part_strategy(name: str, domain: str | None = None) -> Strategy:
    return registry.build(name, {"domain": domain} if domain else {})


def pieces(text: str, spans: Sequence[Span]) -> list[Piece]:
    """The pieces of a cell to replace: whole spans, or the parts of names and addresses."""
    out: list[Piece] = []
    for s in spans:
        parts = getattr(s, "parts", ()) or ()
        if s.entity in ("PERSON", "STREET_ADDRESS") and parts and all(p[2] in PART_STRATEGIES for p in parts):
            for start, end, role in parts:
                name = PART_STRATEGIES[role]
                if name is None or not text[start:end].strip():
                    continue
                if role in ("unit", "rd", "box"):     # "Flat 2", "RD 3", "PO Box 4411": only the number changes
                    out += [(m.start(), m.end(), f"part:{name}") for m in _NUMBER.finditer(text, start, end)]
                else:
                    out.append((start, end, f"part:{name}"))
        else:
            out.append((s.start, s.end, s.entity))
    return out


@register
class FreeText(Strategy):
    name = "free_text"
    params_model = FreeTextParams
    summary = "detection finds personal spans (Presidio + NZ recognizers); each span gets a consistent pseudonym"
    technique = "pseudonymisation"
    entities = ()
    leak_class = None
    accepts = frozenset({"string", "text"})
    per_text = True

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

        # Every distinct (entity or part strategy, text) is pseudonymised once, in one batch per kind.
        cut = [pieces(text, text_spans) for text, text_spans in zip(distinct, spans, strict=True)]
        wanted: dict[str, set[str]] = defaultdict(set)
        for text, text_pieces in zip(distinct, cut, strict=True):
            for start, end, kind in text_pieces:
                wanted[kind].add(text[start:end])
        fakes: dict[tuple[str, str], str] = {}
        for entity, texts in wanted.items():
            ordered = sorted(texts)
            fakes.update(zip(((entity, t) for t in ordered),
                             pseudonymise_spans(entity, ordered, ctx.key, ctx.source_values), strict=True))

        rebuilt = [_splice(text, text_pieces, fakes) for text, text_pieces in zip(distinct, cut, strict=True)]
        out = pa.array(rebuilt, pa.string())
        if ctx.column.length:
            out = pc.utf8_slice_codeunits(out, 0, ctx.column.length)
        result = pc.take(out, encoded.indices) if len(out) else pa.nulls(len(arr), pa.string())
        self.stats.cells += len(values)
        self.stats.distinct += len(distinct)
        self.stats.nulls += arr.null_count
        self.stats.count("spans", sum(len(s) for s in spans))
        return result


def _splice(text: str, text_pieces: Sequence[Piece], fakes: dict[tuple[str, str], str]) -> str:
    if not text_pieces:
        return text
    out, at = [], 0
    for start, end, kind in text_pieces:
        out.append(text[at:start])
        out.append(fakes[(kind, text[start:end])])
        at = end
    out.append(text[at:])
    return "".join(out)
