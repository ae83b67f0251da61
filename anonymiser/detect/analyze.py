"""Run the analyzer over many texts: cheap pre-screen, then Presidio, on both cores when it pays.

Callers pass *distinct* texts (they factorize first). A text is only given to Presidio for the
entities it could possibly contain (an email needs an ``@``, a phone number seven digits), which
skips most recognizers on most cells; a text that can contain nothing is not analysed at all.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

from anonymiser.detect.engine import NER_ENTITIES, Engine, get_engine
from anonymiser.detect.nz_recognizers import mentions_known_name

FREE_TEXT_THRESHOLD = 0.35
PARALLEL_MIN_TEXTS = 1500     # below this, starting a second process costs more than it saves
WORKERS_ENV = "ANONYMISER_WORKERS"
PIECE_CHARS = 100_000         # longer cells are analysed in pieces: bounded memory, under spaCy's limit
PIECE_OVERLAP = 500

_DIGITS = ("PHONE_NUMBER", "CREDIT_CARD", "NZ_IRD", "NZ_BANK_ACCOUNT", "NZBN", "US_SSN", "US_ITIN")
# (pre-screen regex, entities it makes possible). A text matching none is never analysed.
_TRIGGERS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"@"), ("EMAIL_ADDRESS",)),
    (re.compile(r"\d(?:[\s().\-/+]{0,3}\d){6}"), _DIGITS),
    (re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-fA-F]{1,4}:[0-9a-fA-F]{0,4}:"), ("IP_ADDRESS",)),
    (re.compile(r"[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{10,}"), ("IBAN_CODE",)),
    (re.compile(r"[A-Za-z]{3}\s?\d{2}"), ("NZ_NHI",)),
    (re.compile(r"[A-Za-z]\d{6}"), ("NZ_DRIVER_LICENCE", "NZ_PASSPORT", "US_DRIVER_LICENSE")),
    (re.compile(r"\d{1,5}[A-Za-z]?(?:/\d+)?,?\s+[A-Za-z]|\b(?:Box|Bag|RD|Unit|Flat|Suite|Apartment)\s+\d"),
     ("STREET_ADDRESS",)),
    (re.compile(r"(?i)https?://|www\.|\w\.[a-z]{2,}\b"), ("URL",)),
    (re.compile(r"[0-9a-fA-F]{2}[:\-][0-9a-fA-F]{2}[:\-][0-9a-fA-F]{2}"), ("MAC_ADDRESS",)),
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}"), ("UUID",)),
    (re.compile(r"\b(?:bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,}"), ("CRYPTO",)),
)
_HAS_CAPITAL = re.compile(r"[A-Z]")


class Hit(NamedTuple):
    """One detected span. Offsets into the analysed text; the span's text is never kept here."""

    start: int
    end: int
    entity: str
    score: float
    recognizer: str


def candidate_entities(text: str, wanted: Collection[str] | None, has_ner: bool) -> list[str]:
    found: set[str] = set()
    for pattern, entities in _TRIGGERS:
        if pattern.search(text):
            found.update(entities)
    if has_ner and _HAS_CAPITAL.search(text):
        found.update(NER_ENTITIES)
    elif _HAS_CAPITAL.search(text) and mentions_known_name(text):
        found.add("PERSON")     # the name-list recognizer: the blank pipeline's only source of names
    if wanted is not None:
        found &= set(wanted)
    return sorted(found)


def _analyze_serial(engine: Engine, texts: Sequence[str], entities: Collection[str] | None,
                    threshold: float, context: list[str] | None) -> list[list[Hit]]:
    analyzer = engine.analyzer
    out: list[list[Hit]] = [[] for _ in texts]
    todo = [(i, cands) for i, text in enumerate(texts)
            if (cands := candidate_entities(text, entities, engine.has_ner))]
    # spaCy is much faster on batches than text by text; Presidio accepts the precomputed artifacts.
    artifacts = analyzer.nlp_engine.process_batch([texts[i] for i, _ in todo], language="en", batch_size=128)
    for (i, cands), (_, nlp_artifacts) in zip(todo, artifacts, strict=True):
        results = analyzer.analyze(texts[i], language="en", entities=cands, score_threshold=threshold,
                                   context=context, nlp_artifacts=nlp_artifacts)
        out[i] = [
            Hit(r.start, r.end, r.entity_type, float(r.score),
                str((r.recognition_metadata or {}).get("recognizer_name", "unknown")))
            for r in results
        ]
    return out


def _worker(spec: str, texts: Sequence[str], entities: Collection[str] | None, threshold: float,
            context: list[str] | None) -> list[list[Hit]]:
    # Forked workers inherit the parent's cached engine, so this is a dictionary look-up.
    return _analyze_serial(get_engine(spec), texts, entities, threshold, context)


def worker_count() -> int:
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(2, os.cpu_count() or 1))


def _windows(text: str, size: int = PIECE_CHARS, overlap: int = PIECE_OVERLAP) -> list[tuple[int, int]]:
    """Bounded pieces of a long text, cut at whitespace where possible; consecutive pieces overlap so an
    entity shorter than ``overlap`` lies whole in at least one of them."""
    if len(text) <= size:
        return [(0, len(text))]
    bounds: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + size, len(text))
        if end < len(text):
            cut = max(text.rfind(" ", end - overlap, end), text.rfind("\n", end - overlap, end))
            end = cut if cut > start + overlap else end
        bounds.append((start, end))
        if end >= len(text):
            return bounds
        start = end - overlap


def analyze_texts(
    texts: Sequence[str],
    *,
    engine: Engine | None = None,
    entities: Collection[str] | None = None,
    threshold: float = FREE_TEXT_THRESHOLD,
    context: list[str] | None = None,
    workers: int | None = None,
) -> list[list[Hit]]:
    """Hits per text (same order). Big batches are split over ``workers`` forked processes; texts longer
    than ``PIECE_CHARS`` (spaCy refuses over 1,000,000 characters) are analysed in overlapping pieces."""
    if any(len(t) > PIECE_CHARS for t in texts):
        pieces, owners = [], []
        for i, text in enumerate(texts):
            for start, end in _windows(text):
                pieces.append(text[start:end])
                owners.append((i, start))
        found = analyze_texts(pieces, engine=engine, entities=entities, threshold=threshold, context=context,
                              workers=workers)
        merged: list[set[Hit]] = [set() for _ in texts]
        for (i, start), hits in zip(owners, found, strict=True):
            merged[i].update(h._replace(start=h.start + start, end=h.end + start) for h in hits)
        return [sorted(hits) for hits in merged]
    engine = engine or get_engine()
    workers = worker_count() if workers is None else workers
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or len(texts) < PARALLEL_MIN_TEXTS or not forkable:
        return _analyze_serial(engine, texts, entities, threshold, context)
    # A few chunks per worker balance uneven text lengths without much pickling.
    size = max(1, -(-len(texts) // (workers * 4)))
    chunks = [list(texts[i:i + size]) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(_worker, [engine.spec] * len(chunks), chunks, [entities] * len(chunks),
                         [threshold] * len(chunks), [context] * len(chunks))
        return [hits for part in parts for hits in part]


def _merge_same_entity(hits: Sequence[Hit]) -> list[Hit]:
    """Overlapping spans of one entity become their union ("Mere Ngata" from the name list + "Ngata" from NER)."""
    merged: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.entity, h.start, -h.end)):
        last = merged[-1] if merged else None
        if last is not None and last.entity == hit.entity and hit.start < last.end:
            best = last if last.score >= hit.score else hit
            merged[-1] = Hit(last.start, max(last.end, hit.end), hit.entity, best.score, best.recognizer)
        else:
            merged.append(hit)
    return merged


def _rank(hit: Hit) -> int:
    # Validated identifiers first; then a person (names are what we most need consistent); then
    # other NER labels, which small models hand out loosely ("Aroha Ngata" as an organisation).
    return 0 if hit.entity not in NER_ENTITIES else 1 if hit.entity == "PERSON" else 2


def resolve_overlaps(hits: Sequence[Hit]) -> list[Hit]:
    """Non-overlapping spans, best first (identifier, person, other NER; then score, length), in text order."""
    chosen: list[Hit] = []
    ranked = sorted(_merge_same_entity(hits), key=lambda h: (_rank(h), -h.score, -(h.end - h.start), h.start))
    for hit in ranked:
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)
