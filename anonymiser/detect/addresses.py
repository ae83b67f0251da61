"""Whole postal addresses in free text: the street line, and the unit, suburb, city, region, postcode
and country around it, on one line or several.

An address is found from an **anchor**, then extended:

- anchors: a number and capitalised words ending in a street type ("12 Queen Street", "Unit 4, 87A
  Waipokiwi Corner", "3/18 George Road"); a street word written with its type ("Hauptstraße 12",
  "Kerkstraat 7", "Rosenowstr. 8"); a street type first ("5, avenue Samson", "Calle Mayor 12",
  "Via de Ana Sofía Sancho 46", "Strada Taliercio, 47"); a PO box, private bag or rural delivery
  number. Street types come from the gazetteer (nine locales' lists) and are case-sensitive where
  English ("3 items on the way" is no address);
- backwards: a unit line right before it ("Apt. 841\\n77 Scott Avenue");
- forwards, segment by segment after a comma, a line break or a space: a unit ("Apt. 204"), a
  rural delivery number, a postcode (NZ, AU, US, UK, CA, NL, IE, BR, DE/FR/ES/IT shapes), a state
  code, capitalised place words with or without a postcode ("Ponsonby", "Auckland 1011", "06690
  Groß-Gerau", "MI 25576"), a country. It stops at the first segment that is none of these (a
  lower-case word: the sentence goes on).

Each address comes with its parts (unit, street, locality, postcode, region, country) so that the
masking can replace every one of them and keep the separators and line breaks.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from anonymiser.detect.gazetteer import Gazetteer, load
from anonymiser.detect.longtext import search_tail

ANCHOR_SCORE, BOX_SCORE = 0.6, 0.5
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-Ž\u1E00-\u1EFF][\w'\u2019\-]*"
_NAME_WORD = rf"(?:{_CAP}|(?:de|del|la|le|du|des|van|von|der|di|da|do|dos|te)\b|St\.|d['\u2019]{_CAP})"
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?"
_UNIT = r"(?:Flat|Unit|Apt\.?|Apartment|Suite|Ste\.?|Level|Lvl|Shop|Room|Rm|Studio)\s*\d{1,5}[A-Za-z]?"
_UNIT_INITIAL = r"(?=[FUASLR])"           # what a unit word starts with
_UNIT_OR_DIGIT = r"(?=[\dFUASLR])"       # what a unit word or a number starts with
_BOX_INITIAL = r"(?=[PLGUC])"             # what a box, bag or military address starts with
_HOUSE = r"\d{1,4}[A-Za-z]?(?:[/\-]\d{1,4}[A-Za-z]?)?(?!\d)"
_POSTCODES = (
    r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}",          # UK
    r"[A-Z]\d[A-Z]\s?\d[A-Z]\d",                    # Canada
    r"[A-Z]\d{2}\s?[A-Z\d]{4}",                      # Ireland (Eircode)
    r"\d{4}\s?[A-Z]{2}",                             # Netherlands
    r"\d{5}-\d{3}",                                  # Brazil
    r"\d{5}(?:-\d{4})?",                             # US, DE, FR, ES, IT
    r"\d{4}",                                        # NZ, AU, DK, NO, AT, CH, BE
)
POSTCODE = "(?:" + "|".join(_POSTCODES) + ")"
_SEGMENT_SEP = re.compile(r"[ \t]*(?:,[ \t]*\n?|\n)[ \t]*|[ \t]+")
_COUNTRIES = ("New Zealand", "Aotearoa", "NZ", "Australia", "United Kingdom", "UK", "USA", "United States",
              "Canada", "Ireland", "Germany", "Deutschland", "France", "Netherlands", "Nederland", "Spain",
              "España", "Italy", "Italia", "Portugal", "Brazil", "Brasil")


class AddressPart(NamedTuple):
    start: int
    end: int
    role: str            # unit | street | box | rd | locality | postcode | region | country


class AddressSpan(NamedTuple):
    start: int
    end: int
    score: float
    parts: tuple[AddressPart, ...]


@functools.cache
def _patterns(g: Gazetteer) -> tuple[re.Pattern[str], ...]:
    suffixes = "|".join(sorted((re.escape(s) for s in g.street_suffixes), key=len, reverse=True))
    compounds = "|".join(re.escape(c) for c in g.street_compounds)
    prefixes = "|".join(sorted((re.escape(p) for p in g.street_prefixes), key=len, reverse=True))
    street = (rf"(?:{_NAME_WORD}[ \t]+){{0,3}}{_CAP}[ \t]+(?:{suffixes})\b\.?"
              r"(?:[ \t]+(?:North|South|East|West|Extension))?")
    # Each scan below starts with a look-ahead for the first characters its matches can start with (a
    # unit word's initial, a digit): the same matches, without trying the whole pattern at every other
    # character (~3x faster).
    english = re.compile(
        rf"{_UNIT_OR_DIGIT}(?P<unit>{_UNIT},?[ \t]+|\d{{1,5}}[A-Za-z]?/)?(?P<street>{_NUMBER},?[ \t]+{street})")
    # A unit, then a street line without a number ("Flat 9, Roberts Flat", "Studio 3\nAnderson Track").
    unit_first = re.compile(rf"{_UNIT_INITIAL}(?P<unit>\b{_UNIT}),?[ \t]*\n?[ \t]*(?P<street>{street})")
    compound = re.compile(
        rf"(?P<street>\b[A-ZÀ-ÖØ-Þ][\w\-]*?(?:{compounds})\.?[ \t]+{_NUMBER}\b)", re.IGNORECASE)
    prefix_first = re.compile(
        rf"(?P<street>(?:\b{_NUMBER},?[ \t]+)?\b(?i:{prefixes})\.?[ \t]+(?:{_NAME_WORD}[ \t]+){{0,4}}{_CAP}"
        rf"(?:,?[ \t]+{_HOUSE})?)")
    box = re.compile(_BOX_INITIAL +
                     r"(?P<box>\b(?:P\.?\s?O\.?\s?Box|PO Box|Private Bag|Locked Bag|GPO Box)\s+\d{1,6}\b|"
                     rf"\b(?:PSC|Unit|CMR)\s+\d{{3,5}},?\s+Box\s+\d{{3,5}}\b|\bUS(?:S|NS|NV|CGC)\s+{_CAP})")
    return english, unit_first, compound, prefix_first, box


_UNIT_BEFORE = re.compile(rf"(?:^|\n)[ \t]*({_UNIT})[ \t]*\n[ \t]*$")
_UNIT_SOLID = 15        # non-blank characters a _UNIT_BEFORE match holds at most ("Apartment", 5 digits, a letter)
_SEGMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("unit", re.compile(rf"(?:{_UNIT}|(?:Piso|Piano|Puerta|Étage|Etage)\s*\d{{1,3}}|(?:Box|Bus)\s+\d{{1,5}})\b")),
    ("rd", re.compile(r"R\.?D\.?\s?\d{1,2}\b")),
    ("country", re.compile(r"(?:" + "|".join(re.escape(c) for c in _COUNTRIES) + r")\b")),
    ("region", re.compile(rf"(?:[FAD]PO[ \t]+)?[A-Z]{{2,3}}(?:[ \t,]+{POSTCODE})?\b(?![\w'])")),
    ("postcode", re.compile(rf"(?P<pc>{POSTCODE})(?:[ \t]+(?P<place>{_CAP}(?:[ \t\-]+(?:{_NAME_WORD}))*"
                            rf"(?:[ \t]+\([A-Z]{{2}}\))?))?\b")),
    ("locality", re.compile(rf"(?:'s-)?(?:(?:St|Ste|Mt)\.[ \t]*)?{_CAP}"
                            rf"(?:[ \t\-]+(?:{_NAME_WORD}|(?:sur|les|am|an|im|upon|on)\b))*"
                            rf"(?:[ \t]+\([A-Z]{{2}}\))?(?:[ \t,]+(?P<pc>{POSTCODE})\b)?(?:[ \t]*/[ \t]*[A-Z]{{2}})?")),
)
# Words that open a sentence after an address rather than continuing it.
_NOT_PLACES = frozenset({"Thanks", "Thank", "Regards", "Cheers", "Please", "Phone", "Ph", "Email", "Tel", "Mobile",
                         "Call", "Ring", "Note", "Notes", "Deliver", "Delivery", "Billing", "Attn", "Ref", "Order",
                         "Invoice", "Card", "IRD", "NHI", "The", "I", "We", "He", "She", "They", "It", "This", "From",
                         "To", "Cc", "Subject", "Dear", "Hi", "Hello", "Kind", "Best"})


_NUMBER_THEN_CAP = re.compile(r"\d[A-Za-z]?,?[ \t]+[A-ZÀ-ÖØ-ÞĀ-Ž]")
_UNIT_WORD = re.compile(_UNIT_INITIAL +
                        r"\b(?:Flat|Unit|Apt|Apartment|Suite|Ste|Level|Lvl|Shop|Room|Rm|Studio)\.?\s*\d")
# (?<!letter): a match never starts right after a letter (the one from that letter is leftmost), and
# saying so spares a backtracking try at every letter of every word.
_WORD_THEN_NUMBER = re.compile(r"(?<![^\W\d_])([^\W\d_][\w\-]*)\.?[ \t]+\d")
_LOWER_WORD = re.compile(r"\b[^\W\d_]+\.?")
_ASCII_LOWER_WORD = re.compile(r"\b[a-z]+\.?", re.ASCII)     # _LOWER_WORD in a lower-case ASCII text
_BLANK_DIGIT = re.compile(r"[ \t]\d")
_NUMBER_BEFORE = re.compile(rf"\b{_NUMBER},?[ \t]+$")
_BOX_WORD = re.compile(_BOX_INITIAL + r"\b(?:P\.?\s?O|Private|Locked|GPO|PSC|Unit|CMR|US[SNCG])")


_POSTCODE_AFTER = re.compile(rf",?[ \t]*\n?[ \t]*{POSTCODE}\b")


def _split_postcode(m: re.Match[str], role: str) -> list[AddressPart]:
    """"Auckland 1024" → locality + postcode; "10115 Berlin" → postcode + locality: each replaced on its own."""
    groups = m.re.groupindex
    if "pc" not in groups or m.group("pc") is None:
        return [AddressPart(m.start(), m.end(), role)]
    pc = AddressPart(m.start("pc"), m.end("pc"), "postcode")
    if role == "postcode":
        place = m.group("place") if "place" in groups else None
        return [pc] + ([AddressPart(m.start("place"), m.end("place"), "locality")] if place else [])
    head = m.group()[:m.start("pc") - m.start()].rstrip(" \t,")
    tail = m.group()[m.end("pc") - m.start():]
    parts = [AddressPart(m.start(), m.start() + len(head), role), pc]
    if tail.strip():
        parts.append(AddressPart(m.end("pc") + len(tail) - len(tail.lstrip(" \t/")), m.end(), "region"))
    return parts


class AddressFinder:
    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        g = gazetteer or load()
        self.english, self.unit_first, self.compound, self.prefix_first, self.box = _patterns(g)
        self.compounds = tuple(g.street_compounds)
        self.prefixes = g.street_prefixes
        # The words the prefix check below accepts (as written or with a dot after): one set look-up per text.
        self.prefix_words = frozenset(g.street_prefixes) | {p + "." for p in g.street_prefixes}

    def _anchors(self, text: str) -> list[re.Match[str]]:
        """Anchor matches. Each pattern runs only where a cheap check says it can match: a big
        alternation of street types tried at every position would cost more than all the rest."""
        found: list[re.Match[str]] = []
        if _NUMBER_THEN_CAP.search(text):
            found += self.english.finditer(text)
        if _UNIT_WORD.search(text):
            found += self.unit_first.finditer(text)
        # A word ending in a compound street type, then a number: that needs a blank before a digit and the
        # type's letters somewhere in the text; most texts lack either (the scan is slow). Lowering maps
        # character by character (none of the types holds a Greek sigma), so the lowered word's ending
        # stands in the lowered text.
        lowered = text.lower()
        maybe = _BLANK_DIGIT.search(text) is not None and any(c in lowered for c in self.compounds)
        for m in _WORD_THEN_NUMBER.finditer(text) if maybe else ():
            if m.group(1).lower().endswith(self.compounds) or text[m.end(1):m.end(1) + 1] == "." and \
                    (m.group(1) + ".").lower().endswith(self.compounds):
                hit = self.compound.match(text, m.start())
                if hit:
                    found.append(hit)
        # The same words of an ASCII text, lowered at once (lowering keeps ASCII letters letters).
        street_words = not self.prefix_words.isdisjoint(
            _ASCII_LOWER_WORD.findall(lowered) if text.isascii() else map(str.lower, _LOWER_WORD.findall(text)))
        for m in _LOWER_WORD.finditer(text) if street_words else ():
            word = m.group().lower()
            if word in self.prefixes or word.rstrip(".") in self.prefixes:
                before = _NUMBER_BEFORE.search(text, max(0, m.start() - 14), m.start())
                hit = self.prefix_first.match(text, before.start() if before else m.start())
                # "via NZ Post", "place an order": a street needs a house number or a postcode after it.
                if hit and (any(c.isdigit() for c in hit.group()) or _POSTCODE_AFTER.match(text, hit.end())):
                    found.append(hit)
        if _BOX_WORD.search(text):
            found += self.box.finditer(text)
        return found

    def find(self, text: str) -> list[AddressSpan]:
        anchors: list[tuple[int, int, list[AddressPart]]] = []
        for m in self._anchors(text):
            groups = m.re.groupindex
            parts = [AddressPart(m.start(g), m.end(g), g) for g in ("unit", "street", "box")
                     if g in groups and m.group(g)]
            anchors.append((m.start(), m.end(), parts))
        anchors.sort(key=lambda a: (a[0], -a[1]))
        out: list[AddressSpan] = []
        covered_to = -1
        for start, end, parts in anchors:
            if start < covered_to:
                continue
            span = self._extend(text, start, end, parts)
            out.append(span)
            covered_to = span.end
        return out

    def _extend(self, text: str, start: int, end: int, parts: list[AddressPart]) -> AddressSpan:
        before = search_tail(_UNIT_BEFORE, text, start, _UNIT_SOLID)
        if before:
            parts.insert(0, AddressPart(before.start(1), before.end(1), "unit"))
            start = before.start(1)
        pos = end
        for _ in range(6):
            sep = _SEGMENT_SEP.match(text, pos)
            if not sep:
                break
            seg_start = sep.end()
            if sep.group().strip() == "" and "\n" not in sep.group() and not self._space_continues(text, seg_start):
                break
            found = None
            for role, pattern in _SEGMENTS:
                m = pattern.match(text, seg_start)
                if m and m.end() > seg_start:
                    found = (role, m)
                    break
            if found is None:
                break
            role, m = found
            word = re.match(r"[\w']+", text[seg_start:m.end()])
            if role == "locality" and word is not None and word.group() in _NOT_PLACES:
                break
            parts.extend(_split_postcode(m, role))
            pos = m.end()
        score = BOX_SCORE if parts and parts[0].role == "box" and len(parts) == 1 else ANCHOR_SCORE
        return AddressSpan(start, pos, score, tuple(parts))

    @staticmethod
    def _space_continues(text: str, at: int) -> bool:
        """After a plain space, only a unit, postcode, state code or RD continues the address ("… Apt. 204",
        "… W31AWX4 Roisin Ville"); a capitalised word after a space is more likely the sentence."""
        return any(pattern.match(text, at) for _, pattern in _SEGMENTS[:5])
