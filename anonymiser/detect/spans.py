"""The span finder detection hands to masking (``free_text``; see ``mask.base.SpanFinder``).

Analyse distinct texts, drop what is not personal, and keep non-overlapping spans in text order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from anonymiser.detect.analyze import Hit, analyze_texts, resolve_overlaps
from anonymiser.detect.known import KnownEntities
from anonymiser.detect.longtext import Spans


def find_spans(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Hit]]:
    hits = analyze_texts(texts, entities=entities, threshold=threshold)
    return [resolve_overlaps([h for h in text_hits if h.entity != "ORGANIZATION" or not _acronym(text, h)])
            for text, text_hits in zip(texts, hits, strict=True)]


def _acronym(text: str, hit: Hit) -> bool:
    # Small NER models call agency acronyms ("IRD", "NHI") organisations: not personal, keep them.
    if hit.entity != "ORGANIZATION":
        return False
    span = text[hit.start:hit.end]
    return len(span) <= 6 and not any(c.islower() for c in span)


# Strategy → the entity its source values are found as inside free text (known entities, issue 12).
KNOWN_STRATEGIES: dict[str, str] = {
    "person_name": "PERSON", "first_name": "GIVEN_NAME", "last_name": "FAMILY_NAME", "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER", "street_address": "STREET_ADDRESS", "address": "STREET_ADDRESS",
    "nz_ird": "NZ_IRD", "nz_nhi": "NZ_NHI", "nz_bank_account": "NZ_BANK_ACCOUNT", "nzbn": "NZBN",
    "nz_driver_licence": "NZ_DRIVER_LICENCE", "nz_passport": "NZ_PASSPORT", "credit_card": "CREDIT_CARD",
}


def with_known(known: KnownEntities) -> Callable[..., list[list[Any]]]:
    """A span finder that also finds ``known`` source values; a known match wins over a detected span
    it overlaps unless the detected span holds it whole (a whole address around a known street line)."""

    def find(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Any]]:
        found = find_spans(texts, entities=entities, threshold=threshold)
        if not known:
            return list(found)
        wanted = set(entities)
        out: list[list[Any]] = []
        for detected, matches in zip(found, known.find(texts), strict=True):
            matches = [m for m in matches if m.entity in wanted]
            holding = Spans((d.start, d.end) for d in detected) if matches else None
            kept = [m for m in matches if holding is not None and not holding.holds_longer(m.start, m.end)]
            if not kept:            # the detected spans, already in order
                out.append(detected)
                continue
            known_spans = Spans((m.start, m.end) for m in kept)
            spans: list[Any] = kept + [d for d in detected if not known_spans.overlap(d.start, d.end)]
            out.append(sorted(spans, key=lambda s: s.start))
        return out

    return find
