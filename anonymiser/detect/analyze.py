"""Find personal spans in many texts: the span finder that scan, verify and free text share.

Callers pass *distinct* texts (they factorize first). Each text goes only to the recognizers of the
entities it could contain (an email needs an ``@``, a phone seven digits, an IPv6 address a colon),
called directly, with no Presidio result objects: Presidio's pattern recognizers (email, URL, IP, IBAN
…) through ``_PatternSpans`` (their own patterns, validation and de-duplication, with ``re``), ours
(NZ identifiers, names, addresses, cards, phones; ``nz_recognizers.py``, ``recognizers.py``) through
their ``spans``: the same spans as Presidio's ``analyze`` (``tests/unit/detect/test_fast_patterns.py``;
``benchmarks/bench_detect_speed.py`` measures and compares). Context words raise a pattern's score as
Presidio's context enhancer does (+0.35, at least 0.4, when one of the five words before the match
is a context word), without the spaCy pass the enhancer needs: the blank pipeline's only job was
tokenising for it. When a spaCy model is installed its entities are added (one ``nlp.pipe`` batch).
Finally every word of every name found is also found wherever else it stands in the same text
("… everyone calls me Aantje"), in lower case too unless it is also an everyday word ("… aroha said").

Big batches are split over worker processes (fork): each inherits the parent's engine, built once.
"""

from __future__ import annotations

import bisect
import functools
import gc
import itertools
import multiprocessing
import operator
import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

from anonymiser.detect import gazetteer
from anonymiser.detect.anchored import AtAnchored, Needing, runs_from_dots
from anonymiser.detect.engine import NER_ENTITIES, Engine, get_engine
from anonymiser.detect.gazetteer import fold
from anonymiser.detect.longtext import Spans
from anonymiser.detect.model import PARTS_KEY
from anonymiser.detect.persons import NamePart, split_name

FREE_TEXT_THRESHOLD = 0.35
PARALLEL_MIN_TEXTS = 1500     # below this, starting a second process costs more than it saves
WORKERS_ENV = "ANONYMISER_WORKERS"
PIECE_CHARS = 100_000         # longer cells are analysed in pieces: bounded memory, under spaCy's limit
PIECE_OVERLAP = 500
NER_GROUP_CHARS = 128_000     # characters handed to a spaCy model at once (its artifacts: ~3 KB a character)
CONTEXT_BOOST, CONTEXT_MIN = 0.35, 0.4     # Presidio's LemmaContextAwareEnhancer defaults
CONTEXT_WORDS_BEFORE = 5

# Seven digits with at most three separators between any two: a phone, and every NZ number pattern
# (nz_recognizers.py) matches only where this does. Searched once per text, whatever the rows naming it.
_DIGIT_RUN = re.compile(r"\d(?:[\s().\-/+]{0,3}\d){6}")
# (pre-screen regex, entities it makes possible, digits (\d) it needs, a string it needs or ""). A text
# matching none is never analysed. Only whether a screen matches counts: several start at their rarest
# character (a digit, a dot) and look behind from there, which matches exactly where the plain form does
# (tests/unit/detect/test_spans_fast.py) at a fraction of the cost. None: the digit count and the string
# answer (an e-mail needs an @, a street address one digit). The NZ numbers need as many digits as their
# shortest match holds: an IRD number 8, an NZBN 13 (and its prefix 9429), a bank account 15.
_TRIGGERS: tuple[tuple[re.Pattern[str] | None, tuple[str, ...], int, str], ...] = (
    (None, ("EMAIL_ADDRESS",), 0, "@"),
    (_DIGIT_RUN, ("PHONE_NUMBER",), 7, ""),
    (_DIGIT_RUN, ("NZ_IRD",), 8, ""),
    (_DIGIT_RUN, ("NZBN",), 13, "9429"),
    (_DIGIT_RUN, ("NZ_BANK_ACCOUNT",), 15, ""),
    # Tried only at the first digit of a chain (digits joined by at most one blank or hyphen): the chain from there
    # holds twelve digits when the chain from any of its digits does.
    (re.compile(r"\d(?<!\d\d)(?<!\d[ \-]\d)(?:[ \-]?\d){11}"), ("CREDIT_CARD",), 12, ""),
    (re.compile(r"\d(?<!\d\d)\d{2}[- .]?\d{2}[- .]?\d{4}(?!\d)"), ("US_SSN", "US_ITIN"), 9, ""),
    (re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"), ("IP_ADDRESS",), 4, "."),
    (re.compile(r"[0-9a-fA-F]{1,4}:[0-9a-fA-F]{0,4}:"), ("IP_ADDRESS",), 0, ":"),
    (re.compile(r"\d(?<=[A-Za-z]{2}\d)\d[A-Za-z0-9 \-]{10,}"), ("IBAN_CODE",), 2, ""),   # "GB82-WEST-1234-…" too
    # Every NHI pattern starts at a word boundary (the \b makes e-mail locals such as "ngata12" no NHI candidate).
    (re.compile(r"(?i)\d(?:(?<=\b[a-z]{3}\d)|(?<=\b[a-z]{3}\s\d))\d"), ("NZ_NHI",), 2, ""),
    (re.compile(r"\d(?<=[A-Za-z]\d)\d{5}"), ("NZ_DRIVER_LICENCE", "NZ_PASSPORT"), 6, ""),
    (None, ("STREET_ADDRESS",), 1, ""),
    (re.compile(r"(?i)www\.|\.(?<=\w\.)[a-z]{2,}\b"), ("URL",), 0, "."),
    (re.compile(r"(?i)https?://"), ("URL",), 0, ":"),
    (re.compile(r"[0-9a-fA-F]{2}[:\-][0-9a-fA-F]{2}[:\-][0-9a-fA-F]{2}"), ("MAC_ADDRESS",), 0, ""),
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}"), ("UUID",), 0, "-"),
    (re.compile(r"\b(?:bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,}"), ("CRYPTO",), 1, ""),
)
_DIGIT = re.compile(r"\d")
_NOT_DIGIT = re.compile(r"\D+")
_HAS_CAPITAL = re.compile(r"[A-Z\u00C0-\u00DE\u0100-\u024F]")
_CONTEXT_WORD = re.compile(r"[^\W\d_]+")


class Hit(NamedTuple):
    """One detected span. Offsets into the analysed text; the span's text is never kept here.

    ``parts``: (start, end, role) inside the span for names (given / middle / family) and addresses
    (unit, street, locality, postcode, region, country); empty for other entities.
    """

    start: int
    end: int
    entity: str
    score: float
    recognizer: str
    parts: tuple[tuple[int, int, str], ...] = ()


def candidate_entities(text: str, wanted: Collection[str] | None, has_ner: bool) -> list[str]:
    return sorted(_candidates(text, *_screens(None if wanted is None else frozenset(wanted), has_ner)))


Screen = tuple[re.Pattern[str] | None, frozenset[str], int, str]


@functools.lru_cache(maxsize=64)
def _screens(wanted: frozenset[str] | None,
             has_ner: bool) -> tuple[tuple[Screen, ...], frozenset[str], frozenset[str]]:
    """The pre-screens worth running for ``wanted`` (with the entities they open among those wanted), the
    entities every text may hold, and those a capital letter opens."""
    def keep(entities: Collection[str]) -> frozenset[str]:
        return frozenset(entities) if wanted is None else frozenset(entities) & wanted
    screens = tuple((pattern, keep(entities), digits, char) for pattern, entities, digits, char in _TRIGGERS
                    if keep(entities))
    # Names in lower case too ("call aroha ngata"): persons.py holds them to cues.
    return screens, keep(("PERSON",)), keep(NER_ENTITIES if has_ner else ())


def _candidates(text: str, screens: tuple[Screen, ...], always: frozenset[str],
                capital: frozenset[str]) -> frozenset[str]:
    """The entities ``text`` could hold. A screen is skipped when the text has fewer digits than it needs,
    lacks the string it needs, or when every entity it opens is open already."""
    digits = len(_NOT_DIGIT.sub("", text)) if _DIGIT.search(text) else 0
    found = always
    digit_run = None        # _DIGIT_RUN's answer, once asked
    for pattern, entities, needs, char in screens:
        if digits >= needs and not entities <= found and char in text:
            if pattern is _DIGIT_RUN:
                if digit_run is None:
                    digit_run = _DIGIT_RUN.search(text) is not None
                if digit_run:
                    found |= entities
            elif pattern is None or pattern.search(text):
                found |= entities
    if capital and _HAS_CAPITAL.search(text):
        found |= capital
    return found


@functools.lru_cache(maxsize=256)
def _sigma_free(context: frozenset[str]) -> bool:
    return not any("\u03c2" in word for word in context)


def _context_score(text: str, start: int, score: float, context: frozenset[str]) -> float:
    if not context or score >= 1.0:
        return score
    # A context word among the words before is in the lowered text before (lowering maps character by
    # character, but for a word-final sigma): most spans have none nearby.
    window = text[max(0, start - 60):start].lower()
    if not any(word in window for word in context) and _sigma_free(context):
        return score
    before = _CONTEXT_WORD.findall(text, max(0, start - 60), start)[-CONTEXT_WORDS_BEFORE:]
    if any(w.lower() in context or w.lower().rstrip("s") in context for w in before):
        return max(min(score + CONTEXT_BOOST, 1.0), CONTEXT_MIN)
    return score


def _hits(text: str, results: Sequence[Any], context: frozenset[str]) -> list[Hit]:
    out = []
    for r in results:
        metadata = r.recognition_metadata or {}
        out.append(Hit(r.start, r.end, r.entity_type, round(_context_score(text, r.start, float(r.score), context), 4),
                       str(metadata.get("recognizer_name", "unknown")), tuple(metadata.get(PARTS_KEY, ()))))
    return out


_new_hit = tuple.__new__     # Hit(...) without the Python frame of a NamedTuple's __new__ (every field given)


# Finds one recognizer's hits in a text (with the spaCy artifacts of that text, or None).
Finder = Callable[[str, Any], list[Hit]]
Found = tuple[int, int, str, float, tuple[tuple[int, int, str], ...]]
_RE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE


class _PatternSpans:
    """A Presidio ``PatternRecognizer``'s own matching (its patterns, flags, validation, invalidation and
    de-duplication), without its result and explanation objects: the same spans and scores, several
    times faster. Patterns compile with ``re``; one ``re`` cannot read stays with Presidio's ``regex``."""

    def __init__(self, recognizer: Any) -> None:
        import regex  # Presidio's regex engine, for a pattern ``re`` cannot compile
        from presidio_analyzer import PatternRecognizer  # heavy (Presidio): the engine has imported it already

        flags = int(recognizer.global_regex_flags)
        self.patterns: list[tuple[Any, float]] = []
        for pattern in recognizer.patterns:
            try:
                if flags & ~_RE_FLAGS:
                    raise re.error("flags re does not have")
                compiled: Any = re.compile(pattern.regex, flags)
            except re.error:
                compiled = regex.compile(pattern.regex, flags)
            else:
                compiled = Needing.wrap(pattern.regex, AtAnchored.wrap(
                    pattern.regex, _DottedRuns.wrap(pattern.regex, compiled, flags)))
            self.patterns.append((compiled, float(pattern.score)))
        self.entity = str(recognizer.supported_entities[0])
        # Presidio's validators are pure functions of the matched text (checksums, a domain's suffix).
        self.validate: Callable[[str], bool | None] | None = (
            functools.lru_cache(maxsize=65_536)(recognizer.validate_result)
            if type(recognizer).validate_result is not PatternRecognizer.validate_result else None)
        if self.validate is not None and type(recognizer).__name__ == "EmailRecognizer":
            self.validate = _ByDomain(recognizer.validate_result)
        self.invalidate = (recognizer.invalidate_result
                           if type(recognizer).invalidate_result is not PatternRecognizer.invalidate_result else None)

    def __call__(self, text: str) -> list[Found]:
        found: list[tuple[int, int, float]] = []
        validate, invalidate = self.validate, self.invalidate
        for pattern, base in self.patterns:
            for m in pattern.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                score = base
                if validate is not None:
                    valid = validate(text[start:end])
                    if valid is not None:
                        score = 1.0 if valid else 0.0
                if invalidate is not None and invalidate(text[start:end]):
                    score = 0.0
                if score > 0:
                    found.append((start, end, score))
        return [(start, end, self.entity, score, ()) for start, end, score in _without_contained(found)]


class _ByDomain:
    """Presidio's e-mail validation (``tldextract.extract(address).fqdn != ""``), once per domain: for an
    address whose local part holds none of ``/ ? # :``, tldextract's host is exactly the part after the
    ``@``, so the answer depends on the domain alone. Other addresses are validated one by one."""

    _PLAIN_LOCAL = re.compile(r"[^/?#:]*")

    def __init__(self, validate: Callable[[str], bool | None]) -> None:
        self.validate = validate
        self.domains: dict[str, bool | None] = {}

    def __call__(self, address: str) -> bool | None:
        local, _, domain = address.rpartition("@")
        if not self._PLAIN_LOCAL.fullmatch(local):
            return self.validate(address)
        if domain not in self.domains:
            if len(self.domains) > 65_536:
                self.domains.clear()
            self.domains[domain] = self.validate(address)
        return self.domains[domain]


class _DottedRuns:
    """``finditer`` of Presidio's schemeless-URL pattern, ``[a-z0-9.\\-]{1,253}[.](?:com|…)`` with an
    optional ``www.`` and path, with the same matches in a fraction of the time.

    - Tried at every position of every word, that pattern backtracks through its ~600 top-level domains
      once per dot: a quadratic cost per word. Its core is made of the run's characters only, so a match
      lies in a run of them that holds a dot before its last character, and (in a run shorter than the
      bound) a run with a match at some position also has one at its first untried position: one
      ``match`` call per match finds it.
    - The domains are grouped by their first letter, in their order (``c(?:om|o|…)|e(?:du|…)``): the
      same first matching alternative (only one group can match a character), ~20 tries per dot
      instead of ~600."""

    _PREFIX = r"(?i)((www\d{0,3}[.])?[a-z0-9.\-]{1,253}[.](?:"
    _SUFFIX = r""")(?:/[^\s()<>\"']*)?)"""
    _TLDS = re.compile(r"\(\?:[a-z]+\)(?:\|\(\?:[a-z]+\))*")
    _TLD = re.compile(r"\(\?:([a-z]+)\)")
    _LONGEST = 250

    def __init__(self, pattern: re.Pattern[str], flags: int) -> None:
        self.pattern = pattern
        # The look-behind starts a run only where one can start (no class character before): the same runs
        # as trying every position, without rescanning each word from each of its letters.
        self.runs = re.compile(r"(?<![a-z0-9\-])[a-z0-9\-]*\.[a-z0-9.\-]*", flags | re.IGNORECASE)

    @classmethod
    def wrap(cls, source: str, pattern: re.Pattern[str], flags: int) -> Any:
        middle = (len(cls._PREFIX), len(source) - len(cls._SUFFIX))
        if not (source.startswith(cls._PREFIX) and source.endswith(cls._SUFFIX)
                and cls._TLDS.fullmatch(source, *middle)):
            return pattern
        groups: dict[str, list[str]] = {}
        for tld in cls._TLD.findall(source, *middle):
            groups.setdefault(tld[0], []).append(re.escape(tld[1:]))
        grouped = "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())
        return cls(re.compile(cls._PREFIX + grouped + cls._SUFFIX, flags), flags)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pattern = self.pattern
        pos = 0
        for run in runs_from_dots(self.runs, text):
            start, end = max(run.start(), pos), run.end()
            # A top-level domain is letters of the run after a dot: a dot must come before the run's last character.
            while start < end and text.find(".", start, end - 1) >= 0:
                if end - start > self._LONGEST:
                    found = pattern.search(text, start, end)        # the bound may matter: no shortcut
                    m = None if found is None else pattern.match(text, found.start())
                else:
                    m = pattern.match(text, start)
                if m is None:
                    break
                yield m
                start = pos = max(m.end(), start + 1)


def _without_contained(found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Presidio's ``remove_duplicates`` for one entity: a span inside another of at least its score goes;
    score-first order."""
    if len(found) <= 1:
        return found
    kept: list[tuple[int, int, float]] = []
    active: list[tuple[int, int, float]] = []
    for hit in sorted(set(found), key=lambda h: (h[0], h[0] - h[1], -h[2])):
        active = [a for a in active if a[1] >= hit[0]]
        if any(hit[0] >= a[0] and hit[1] <= a[1] and hit[2] <= a[2] for a in active):
            continue
        kept.append(hit)
        active.append(hit)
    return sorted(kept, key=lambda h: (-h[2], h[0], h[0] - h[1]))


def _finder(recognizer: Any, supported: list[str], context: frozenset[str]) -> Finder:
    from presidio_analyzer import PatternRecognizer  # heavy (Presidio): the engine has imported it already

    name = str(recognizer.name)
    spans: Callable[[str], list[Found]] | None = getattr(recognizer, "spans", None)
    if spans is None and isinstance(recognizer, PatternRecognizer) and \
            type(recognizer).analyze is PatternRecognizer.analyze:
        spans = _PatternSpans(recognizer)
    if spans is not None:
        found_by = spans

        def find(text: str, nlp: Any) -> list[Hit]:
            return [_new_hit(Hit, (start, end, entity, round(_context_score(text, start, score, context), 4), name,
                                   parts))
                    for start, end, entity, score, parts in found_by(text)]

        def find_without_context(text: str, nlp: Any) -> list[Hit]:     # _context_score keeps each score
            return [_new_hit(Hit, (start, end, entity, round(score, 4), name, parts))
                    for start, end, entity, score, parts in found_by(text)]
        return find if context else find_without_context

    def analyze(text: str, nlp: Any) -> list[Hit]:
        if nlp is None and name == "SpacyRecognizer":
            return []
        return _hits(text, recognizer.analyze(text, supported, nlp), context)
    return analyze


def _finders(engine: Engine, candidates: frozenset[str], extra: frozenset[str]) -> list[Finder]:
    """The finders of the recognizers for a set of candidate entities; built once per engine and set."""
    key = (candidates, extra)
    found = engine.finders.get(key)
    if found is None:
        found = [_finder(recognizer, supported,
                         frozenset(w.lower() for w in (getattr(recognizer, "context", None) or ())) | extra)
                 for recognizer, supported in engine.recognizers_for(sorted(candidates))]
        engine.finders[key] = found
    return found


def _analyze_serial(engine: Engine, texts: Sequence[str], entities: Collection[str] | None,
                    threshold: float, extra_context: list[str] | None) -> list[list[Hit]]:
    if engine.has_ner:
        return _analyze_batch(engine, texts, entities, threshold, extra_context)
    # Without a model, analysis makes many short-lived objects and no cycles (hits, matches, token lists):
    # the cyclic collector would only walk them again and again (~3% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze_batch(engine, texts, entities, threshold, extra_context)
    finally:
        if collecting:
            gc.enable()


def _analyze_batch(engine: Engine, texts: Sequence[str], entities: Collection[str] | None,
                   threshold: float, extra_context: list[str] | None) -> list[list[Hit]]:
    out: list[list[Hit]] = [[] for _ in texts]
    wanted = None if entities is None else frozenset(entities)
    screens, always, capital = _screens(wanted, engine.has_ner)
    todo = [(i, cands) for i, text in enumerate(texts) if (cands := _candidates(text, screens, always, capital))]
    extra = frozenset(w.lower() for w in extra_context or ())
    found = _found_with_ner(engine, texts, todo, extra) if engine.has_ner else _found(engine, texts, todo, extra)
    for i, hits in found:
        hits = [h for h in hits if h.score >= threshold and (wanted is None or h.entity in wanted)]
        out[i] = with_name_parts(texts[i], hits)
    return out


def _found(engine: Engine, texts: Sequence[str], todo: list[tuple[int, frozenset[str]]],
           extra: frozenset[str]) -> list[tuple[int, list[Hit]]]:
    """Each text's hits, finder by finder: one finder runs over every text that may hold its entities before the
    next one starts. Its code and data stay in the CPU's caches, which pays off on a run's large batches (a worker
    learning its tokens from nothing: ~30% less time; benchmarks/RESULTS.md, from a warmed engine: +9%); the same
    hits in the same order (a finder's answer depends on the text alone)."""
    hits: dict[int, list[Hit]] = {i: [] for i, _ in todo}
    groups: dict[frozenset[str], list[int]] = {}
    for i, cands in todo:
        groups.setdefault(cands, []).append(i)
    for cands, group in groups.items():
        for find in _finders(engine, cands, extra):
            for i in group:
                hits[i] += find(texts[i], None)
    return list(hits.items())


def _found_with_ner(engine: Engine, texts: Sequence[str], todo: list[tuple[int, frozenset[str]]],
                    extra: frozenset[str]) -> Iterator[tuple[int, list[Hit]]]:
    """Each text's hits, text by text: a model's artifacts are made for a group of texts at a time (memory)."""
    ner = {i for i, cands in todo if any(e in NER_ENTITIES for e in cands)}
    artifacts = _ner_artifacts(engine, texts, sorted(ner))
    for i, cands in todo:
        text = texts[i]
        nlp = next(artifacts)[1] if i in ner else None
        hits: list[Hit] = []
        for find in _finders(engine, cands, extra):
            hits += find(text, nlp)
        yield i, _checked_ner(text, hits) if nlp is not None else hits


def _ner_artifacts(engine: Engine, texts: Sequence[str], ner: list[int]) -> Iterator[tuple[Any, Any]]:
    """spaCy's artifacts of ``texts[i]`` for each ``i`` in ``ner``, in order, made as they are read: spaCy is much
    faster on batches than text by text (Presidio's NER recognizer reads the artifacts), but a model's artifacts
    take ~3 KB a character, so texts go to spaCy in groups of at most ``NER_GROUP_CHARS`` (one long cell's
    pieces were all held at once: +2.8 GB for a 1 MB cell). A batch of ordinary cells is one group, as before."""
    group: list[str] = []
    size = 0
    for i in ner:
        if group and size + len(texts[i]) > NER_GROUP_CHARS:
            yield from engine.analyzer.nlp_engine.process_batch(group, language="en", batch_size=128)
            group, size = [], 0
        group.append(texts[i])
        size += len(texts[i])
    if group:
        yield from engine.analyzer.nlp_engine.process_batch(group, language="en", batch_size=128)


_NER_WORD = re.compile(r"[^\W\d_]+")


def _checked_ner(text: str, hits: list[Hit]) -> list[Hit]:
    """Small models label "expiry 09/27" a person and "NHI" an organisation: a model's span must be
    capitalised words without digits, and an "organisation" holding a known given name is a person."""
    if not any(h.recognizer == "SpacyRecognizer" for h in hits):
        return hits
    g = gazetteer.load()
    title_lines = _TitleCaseLines(text)
    out = []
    for h in hits:
        if h.recognizer != "SpacyRecognizer":
            out.append(h)
            continue
        span = text[h.start:h.end]
        words = _NER_WORD.findall(span)
        if any(c.isdigit() for c in span) or not words or not all(w[0].isupper() for w in words):
            continue
        if title_lines(h.start):
            continue        # catalogue prose: every word is capitalised, the model guesses
        if h.entity == "ORGANIZATION" and any(fold(w) in g.given and fold(w) not in g.ambiguous for w in words):
            h = h._replace(entity="PERSON")
        elif len(words) == 1 and (h.entity == "ORGANIZATION" or fold(words[0]) in g.ambiguous
                                  or fold(words[0]) in g.places or fold(words[0]) in g.never
                                  or (fold(words[0]) in g.not_after_cue and not g.is_name(fold(words[0])))):
            continue        # "Customer", "NHI" as organisations; "Bill", "Miles", "Hamilton", "Email" as people
        out.append(h)
    return out


def _title_case(text: str, start: int, end: int) -> bool:
    words = [w for w in _NER_WORD.findall(text, start, end) if len(w) >= 3]
    return len(words) >= 6 and sum(w[0].isupper() for w in words) / len(words) >= 0.7


class _TitleCaseLines:
    """Whether the line holding ``at`` is title-case prose (at least six words of three letters or more,
    70% capitalised). Each line is read once: the line breaks are found on the first call and each
    line's verdict is kept, so many hits on one long line (a cell without breaks) cost one reading."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks: list[int] | None = None
        self.verdicts: dict[int, bool] = {}

    def __call__(self, at: int) -> bool:
        text = self.text
        if self.breaks is None:
            self.breaks = [m.start() for m in _LINE_BREAK.finditer(text)]
        breaks = self.breaks
        k = bisect.bisect_left(breaks, at)      # breaks before ``at``: the line's number
        verdict = self.verdicts.get(k)
        if verdict is None:
            start = breaks[k - 1] + 1 if k else 0
            verdict = self.verdicts[k] = _title_case(text, start, breaks[k] if k < len(breaks) else len(text))
        return verdict


_LINE_BREAK = re.compile("\n")


def with_name_parts(text: str, hits: list[Hit]) -> list[Hit]:
    """Names from the model get their parts, and every name word is also found where it stands again
    (compared without case marks and diacritics: "Mānuka" and "Manuka" are one name)."""
    hits = [h._replace(parts=tuple(split_name(text, h.start, h.end)))
            if h.entity == "PERSON" and not h.parts else h for h in hits]
    persons = [h for h in hits if h.entity == "PERSON"]
    if not persons:
        return hits
    roles: dict[str, str] = {}
    part_roles: dict[str, str] = {}      # whole parts of full names: "bin ismail", "van der berg" -> family
    for h in persons:
        for start, end, role in h.parts:
            word = _plain_word(text, start, end)
            if word is not None:        # most parts: one word, what the scan below would find there
                key = word.lower()
                if len(h.parts) > 1:
                    part_roles.setdefault(key, "given" if role == "middle" else role)
                if word[0].isupper() and len(word) >= 2 and key not in _PARTICLE_WORDS:
                    roles.setdefault(key, "given" if role == "middle" else role)
                continue
            if len(h.parts) > 1:
                part_roles.setdefault(_folded_part(text[start:end]), "given" if role == "middle" else role)
            # The words of the part: read from the last space before it (no word spans a space, so these
            # are the words a scan of the whole text finds there).
            for ws, we, word, capitalised in _name_words(text, text.rfind(" ", 0, start) + 1):
                if ws >= end:
                    break
                if capitalised and start <= ws and we <= end and len(word) >= 2 and \
                        word.lower() not in _PARTICLE_WORDS:
                    roles.setdefault(fold(word), "given" if role == "middle" else role)
    if not roles:
        return hits
    # A part found alone ("Van der Berg will call", "bin Ismail is his family name") takes the role it has in
    # the full name of the same cell, so it gets the same part pseudonym.
    hits = [_with_role(h, text, part_roles, roles) if h.entity == "PERSON" and len(h.parts) == 1 else h
            for h in hits]
    g = gazetteer.load()
    if text.isascii():
        lowered = text.lower()
        if all(lowered.count(key) < 2 for key in roles):
            return hits         # no name word stands twice: nothing to find again
        # A repeat overlaps no span found: a name word standing again only inside them ("Aroha Ngata
        # (aroha.ngata@…)") is found nowhere (the scan below would find nothing either).
        rest = _outside(lowered, hits)
        if not any(key in rest for key in roles):
            return hits
        taken = Spans((h.start, h.end) for h in hits)
        again = _ascii_repeats(text, lowered, roles, taken, g)
        if again is not None:
            return hits + again
    else:
        taken = Spans((h.start, h.end) for h in hits)
    extra = []
    for ws, we, word, capitalised in _name_words(text, 0):
        key = word.lower() if word.isascii() else fold(word)      # fold(word), without a call for most words
        found = roles.get(key)
        # Written again in lower case ("Spoke with Aroha Ngata; aroha said"), unless also an everyday word
        # ("Mark Brown … mark the invoice").
        if found is None or (not capitalised and (key in g.never or key in g.ambiguous)):
            continue
        if not taken.overlap(ws, we):
            extra.append(Hit(ws, we, "PERSON", 0.6, "NameRepeat", (NamePart(ws, we, found),)))
    return hits + extra


def _outside(text: str, hits: Sequence[Hit]) -> str:
    """The stretches of ``text`` no hit overlaps, joined by NUL (no name word holds one): a word stands
    in it exactly where it overlaps no hit."""
    pieces = []
    pos = 0
    for start, end in sorted((h.start, h.end) for h in hits):
        if start > pos:
            pieces.append(text[pos:start])
        pos = max(pos, end)
    pieces.append(text[pos:])
    return "\0".join(pieces)


def _ascii_repeats(text: str, lowered: str, roles: dict[str, str], taken: Spans,
                   g: gazetteer.Gazetteer) -> list[Hit] | None:
    """The scan below for an ASCII text, reading only where a name word's letters stand (``str.find``)
    instead of every word; None (scan) where one follows an apostrophe, which a word may hold."""
    found: list[Hit] = []
    for key, role in roles.items():
        at = lowered.find(key)
        while at >= 0:
            before = text[at - 1] if at else " "
            if before == "'":
                return None
            # A word starts here when no word character or hyphen precedes (_NAME_WORD's look-behind):
            # an earlier word would hold that character, an apostrophe aside.
            if not (before.isalnum() or before in "_-"):
                m = _NAME_WORD.match(text, at)
                if m is not None:
                    word = m.group()
                    we = m.end() - 2 if word.endswith("'s") else m.end()
                    capitalised = word[0].isupper()
                    if we - at == len(key) and \
                            (capitalised or not (key in g.never or key in g.ambiguous)) and \
                            not taken.overlap(at, we):
                        found.append(Hit(at, we, "PERSON", 0.6, "NameRepeat", (NamePart(at, we, role),)))
            at = lowered.find(key, at + 1)
    found.sort()
    return found


def _name_words(text: str, pos: int) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, word, capitalised) of the words from ``pos`` on, without a possessive 's (a word never
    ends in a line break: endswith is the $ of _POSSESSIVE)."""
    for m in _NAME_WORD.finditer(text, pos):
        word = m.group()
        if word.endswith(_POSSESSIVE_ENDS):
            yield m.start(), m.end() - 2, word[:-2], word[0].isupper()
        else:
            yield m.start(), m.end(), word, word[0].isupper()


def _plain_word(text: str, start: int, end: int) -> str | None:
    """``text[start:end]`` when it is a whole word of ASCII letters after a blank (or the start), the one
    word ``_name_words`` finds there; else None."""
    word = text[start:end]
    if word.isascii() and word.isalpha() and (start == 0 or text[start - 1] == " ") and \
            (end == len(text) or not (text[end].isalnum() or text[end] in _WORD_GOES_ON)):
        return word
    return None


_WORD_GOES_ON = frozenset("_-'\u2019")


def _folded_part(part: str) -> str:
    if part.isascii() and part.isalpha():
        return part.lower()
    return " ".join(fold(_POSSESSIVE.sub("", w)) for w in part.split())


def _with_role(hit: Hit, text: str, part_roles: dict[str, str], roles: dict[str, str]) -> Hit:
    start, end, role = hit.parts[0]
    key = _folded_part(text[start:end])
    known = part_roles.get(key) or (roles.get(key) if " " not in key else None)
    return hit if known is None or known == role else hit._replace(parts=((start, end, known),))


_NAME_WORD = re.compile(r"(?<![\w\-])[^\W\d_][\w'\u2019\-]*")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_POSSESSIVE_ENDS = ("'s", "\u2019s")
_PARTICLE_WORDS = frozenset({"te", "van", "der", "den", "de", "la", "le", "del", "della", "di", "da", "dos", "das",
                             "von", "bin", "binti", "ibn", "al", "el", "ter", "ten", "st", "mac", "mc"})


def _worker(spec: str, texts: Sequence[str], entities: Collection[str] | None, threshold: float,
            context: list[str] | None) -> list[list[Hit]]:
    # Forked workers inherit the parent's cached engine: this is a dictionary look-up, not a build.
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


def _shifted(hit: Hit, by: int) -> Hit:
    return hit._replace(start=hit.start + by, end=hit.end + by,
                        parts=tuple((a + by, b + by, role) for a, b, role in hit.parts))


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
            merged[i].update(_shifted(h, start) for h in hits)
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
    """Overlapping spans of one entity become their union ("Mere Ngata" from the gazetteer + "Ngata" from NER)."""
    merged: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.entity, h.start, -h.end)):
        last = merged[-1] if merged else None
        if last is not None and last.entity == hit.entity and hit.start < last.end:
            best = last if last.score >= hit.score else hit
            union = Hit(last.start, max(last.end, hit.end), hit.entity, best.score, best.recognizer,
                        best.parts if (best.start, best.end) == (last.start, max(last.end, hit.end)) else ())
            merged[-1] = union if union.parts or hit.entity != "PERSON" else union._replace(
                parts=_union_parts(last, hit))
        else:
            merged.append(hit)
    return merged


def _union_parts(a: Hit, b: Hit) -> tuple[tuple[int, int, str], ...]:
    parts = sorted({*a.parts, *b.parts})
    kept: list[tuple[int, int, str]] = []
    for p in parts:
        if kept and p[0] < kept[-1][1]:
            if p[1] - p[0] > kept[-1][1] - kept[-1][0]:
                kept[-1] = p
            continue
        kept.append(p)
    return tuple(kept)


# Rank of an entity when spans overlap: validated identifiers and contact details first, then
# addresses (an address holds numbers that look like phones), then people, then other NER labels.
_RANK = {"STREET_ADDRESS": 2, "PERSON": 3}


def _rank(hit: Hit) -> int:
    if hit.entity in _RANK:
        return _RANK[hit.entity]
    return 4 if hit.entity in NER_ENTITIES else 0 if hit.score >= 0.5 else 1


_start = operator.itemgetter(0)      # a Hit's start


def resolve_overlaps(hits: Sequence[Hit]) -> list[Hit]:
    """Non-overlapping spans, best first (identifier, address, person, other NER; then score, length), in order."""
    if len(hits) < 2:
        return list(hits)
    # Most cells: spans that touch nothing else. Then nothing merges and every span is chosen: in order.
    ordered = sorted(hits, key=_start)
    if all(a.end <= b.start for a, b in itertools.pairwise(ordered)) and all(h.start < h.end for h in ordered):
        return ordered
    chosen: list[Hit] = []
    # The chosen spans, in (start, end) order: they do not overlap, so their ends ascend too and the last
    # one starting before a hit's end is the only one that can reach past the hit's start.
    starts: list[tuple[int, int]] = []
    ends: list[int] = []
    ranked = sorted(_merge_same_entity(hits), key=lambda h: (_rank(h), -h.score, -(h.end - h.start), h.start))
    for hit in ranked:
        k = bisect.bisect_left(starts, (hit.end,))        # chosen spans starting before hit.end
        if k == 0 or ends[k - 1] <= hit.start:
            chosen.append(hit)
            at = bisect.bisect_left(starts, (hit.start, hit.end))
            starts.insert(at, (hit.start, hit.end))
            ends.insert(at, hit.end)
    return sorted(chosen, key=lambda h: h.start)
