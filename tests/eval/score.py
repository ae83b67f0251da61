"""Score detection and masking on the labelled evaluation set.

Three figures per entity group:

- **recall**: share of labelled spans whose characters (blanks aside) the detector covers ≥ 90%,
  with spans of any entity type (a phone found as an IRD number is still masked);
- **leak rate**: share of labelled spans of which something identifying is still in the masked
  text. Names: any name word (≥ 2 letters, not a particle) left at its place, found by aligning
  the original and masked token sequences (``difflib``), so a word elsewhere in the sentence does
  not count and a repeated name is judged at each place. Addresses: any word of the address
  other than generic ones (street types, "Flat", "New Zealand") or any number of ≥ 3 digits
  (postcodes) left at its place. Digit identifiers: the span's digits inside any digit run of the
  masked text. Emails: the address or its local part anywhere in the masked text (case-folded).
  Letter+digit identifiers (NHI, licence, passport): the value anywhere, separators ignored;
- **over-masking**: words outside every labelled span that the masking changed (aligned as above),
  over all words outside spans.

Nothing is printed here; ``benchmarks/bench_free_text.py`` prints the tables.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

GROUPS = {
    "PERSON": "names", "STREET_ADDRESS": "street addresses", "PHONE_NUMBER": "phones", "CREDIT_CARD": "cards",
    "EMAIL_ADDRESS": "emails", "NZ_IRD": "NZ identifiers", "NZ_NHI": "NZ identifiers",
    "NZ_BANK_ACCOUNT": "NZ identifiers", "NZBN": "NZ identifiers", "NZ_DRIVER_LICENCE": "NZ identifiers",
    "NZ_PASSPORT": "NZ identifiers",
}
# Leak targets of issue 12 (default install): share of spans leaked at most.
TARGETS = {"names": 0.05, "street addresses": 0.05, "phones": 0.01, "cards": 0.01, "emails": 0.01,
           "NZ identifiers": 0.01}
OVERMASK_TARGET = 0.01

_TOKEN = re.compile(r"\w+|[^\w\s]")
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d|\d")
_PARTICLES = frozenset({"te", "van", "der", "den", "de", "la", "del", "di", "da", "dos", "von", "le", "bin", "binti",
                        "al", "ter", "ten", "st", "mac", "o", "d", "ó", "mc"})
_ADDRESS_GENERIC = frozenset(w.lower() for w in (
    ["Street", "St", "Road", "Rd", "Avenue", "Ave", "Drive", "Dr", "Lane", "Ln", "Place", "Pl", "Terrace", "Tce",
     "Crescent", "Cres", "Way", "Grove", "Close", "Parade", "Rise", "Highway", "Hwy", "Quay", "Court", "Ct",
     "Boulevard", "Blvd", "Square", "Sq", "Flat", "Unit", "Apt", "Apartment", "Suite", "Level", "RD", "PO", "Box",
     "Private", "Bag", "New", "Zealand", "NZ", "North", "South", "East", "West", "Mount", "Mt", "Lower", "Upper",
     "The", "of", "Studio", "Piso", "Piano"]))


def tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def preserved(original: str, masked: str) -> tuple[list[tuple[int, int, str]], list[bool]]:
    """The original's tokens, and for each whether it is still in place in the masked text."""
    a = tokens(original)
    b = tokens(masked)
    kept = [False] * len(a)
    matcher = difflib.SequenceMatcher(None, [t[2] for t in a], [t[2] for t in b], autojunk=False)
    for block in matcher.get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            kept[i] = True
    return a, kept


def _inside(tok: tuple[int, int, str], span: dict[str, Any]) -> bool:
    return tok[0] >= span["start"] and tok[1] <= span["end"]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def span_leaked(original: str, masked: str, span: dict[str, Any], toks: Sequence[tuple[int, int, str]],
                kept: Sequence[bool]) -> bool:
    kind = span["type"]
    value = original[span["start"]:span["end"]]
    if kind == "PERSON":
        return any(k and _inside(t, span) and len(t[2]) >= 2 and t[2].lower() not in _PARTICLES
                   and any(c.isalpha() for c in t[2]) for t, k in zip(toks, kept, strict=True))
    if kind == "STREET_ADDRESS":
        def identifying(word: str) -> bool:
            if word.isdigit():
                return len(word) >= 3
            return len(word) >= 2 and word.lower() not in _ADDRESS_GENERIC and any(c.isalpha() for c in word)
        return any(k and _inside(t, span) and identifying(t[2]) for t, k in zip(toks, kept, strict=True))
    if kind == "EMAIL_ADDRESS":
        low = masked.casefold()
        local = value.split("@")[0].casefold()
        return value.casefold() in low or (len(local) >= 4 and local in low)
    if kind in ("NZ_NHI", "NZ_DRIVER_LICENCE", "NZ_PASSPORT"):
        return _alnum(value) in _alnum(masked)
    digits = _digits(value)
    return any(digits in _digits(run.group()) for run in _DIGIT_RUN.finditer(masked))


def covered(span: dict[str, Any], text: str, detected: Sequence[tuple[int, int]]) -> bool:
    chars = [i for i in range(span["start"], span["end"]) if not text[i].isspace()]
    if not chars:
        return True
    hit = sum(1 for i in chars if any(s <= i < e for s, e in detected))
    return hit / len(chars) >= 0.9


@dataclass
class Tally:
    spans: int = 0
    covered: int = 0
    leaked: int = 0

    @property
    def recall(self) -> float:
        return self.covered / self.spans if self.spans else 1.0

    @property
    def leak_rate(self) -> float:
        return self.leaked / self.spans if self.spans else 0.0


@dataclass
class Score:
    groups: dict[str, Tally] = field(default_factory=dict)
    slices: dict[str, Tally] = field(default_factory=dict)      # "names: unseen", "phones: international"
    words_outside: int = 0
    words_changed: int = 0
    clean_sentences: int = 0          # sentences with no personal data
    clean_changed: int = 0            # ... that the masking changed at all
    detected_outside_chars: int = 0
    outside_chars: int = 0

    @property
    def overmask_rate(self) -> float:
        return self.words_changed / self.words_outside if self.words_outside else 0.0

    def meets_targets(self) -> dict[str, bool]:
        met = {g: self.groups[g].leak_rate <= t for g, t in TARGETS.items() if g in self.groups}
        met["non-personal words changed"] = self.overmask_rate <= OVERMASK_TARGET
        return met


def score(records: Sequence[dict[str, Any]], masked: Sequence[str],
          detected: Sequence[Sequence[tuple[int, int]]] | None = None) -> Score:
    """Score masked texts (same order as ``records``); ``detected``: the detector's spans per text."""
    result = Score()
    for i, (record, out) in enumerate(zip(records, masked, strict=True)):
        text, spans = record["text"], record["spans"]
        toks, kept = preserved(text, out)
        for span in spans:
            group = GROUPS[span["type"]]
            leaked = span_leaked(text, out, span, toks, kept)
            found = covered(span, text, detected[i]) if detected is not None else False
            keys = [group]
            if span.get("kind"):
                keys.append(f"{group}: {span['kind']}")
            for j, key in enumerate(keys):
                tally = (result.groups if j == 0 else result.slices).setdefault(key, Tally())
                tally.spans += 1
                tally.covered += found
                tally.leaked += leaked
        for t, k in zip(toks, kept, strict=True):
            if any(_inside(t, s) for s in spans) or not any(c.isalpha() for c in t[2]):
                continue
            result.words_outside += 1
            result.words_changed += not k
        if not spans:
            result.clean_sentences += 1
            result.clean_changed += out != text
        if detected is not None:
            for pos, ch in enumerate(text):
                if ch.isspace() or any(s["start"] <= pos < s["end"] for s in spans):
                    continue
                result.outside_chars += 1
                result.detected_outside_chars += any(s <= pos < e for s, e in detected[i])
    return result
