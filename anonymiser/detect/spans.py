"""The span finder detection hands to masking (``free_text``; see ``mask.base.SpanFinder``).

Analyse distinct texts, drop what is not personal, and keep non-overlapping spans in text order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from anonymiser.detect.analyze import Hit, analyze_texts, resolve_overlaps


def find_spans(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Hit]]:
    hits = analyze_texts(texts, entities=entities, threshold=threshold)
    return [resolve_overlaps([h for h in text_hits if not _acronym(text, h)])
            for text, text_hits in zip(texts, hits, strict=True)]


def _acronym(text: str, hit: Hit) -> bool:
    # Small NER models call agency acronyms ("IRD", "NHI") organisations: not personal, keep them.
    span = text[hit.start:hit.end]
    return hit.entity == "ORGANIZATION" and len(span) <= 6 and not any(c.islower() for c in span)
