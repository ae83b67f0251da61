"""Card and phone numbers in free text, found without a model.

- **Cards**: runs of 12 to 19 digits (single spaces or hyphens allowed between digits) that pass the
  Luhn check. A run opening with a scheme's digit (2–6: Mastercard, Amex, Diners, JCB, Visa,
  Discover, Maestro, UnionPay) is a card on its own; any other needs a card word before it.
- **Phones**: ``phonenumbers.PhoneNumberMatcher`` (libphonenumber's matcher) with the source's
  region as default: numbers in international form of any region, and national numbers of that
  region, each checked against the region's number plan (``Leniency.VALID``). One pass per text;
  texts with fewer than seven digits are skipped before the matcher runs.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import phonenumbers

# libphonenumber's metadata has more patterns than re's own cache holds: keep them compiled (~30% faster
# matching; bounded by the metadata). A release without enable_pattern_cache recompiles as before.
getattr(phonenumbers, "enable_pattern_cache", lambda: None)()

DEFAULT_REGION = "NZ"
CARD_SCORE, CARD_CONTEXT_SCORE = 0.8, 0.7
PHONE_SCORE, PHONE_INTL_SCORE, PHONE_CONTEXT_BOOST = 0.6, 0.7, 0.2

_CARD = re.compile(r"(?<![\w+\-/.,])\d(?:[ \-]?\d){11,18}(?![\w\-/]|[.,]\d)")
_CARD_CONTEXT = re.compile(r"(?i)\b(?:card|credit|debit|visa|master\s?card|amex|american express|maestro|"
                           r"diners|jcb|unionpay|discover|cc|pan)\b[^\n]{0,30}$")
_PHONE_POSSIBLE = re.compile(r"\d(?:[\s().\-/+]{0,3}\d){6}")
_PHONE_CONTEXT = re.compile(r"(?i)\b(?:phone|ph|tel|telephone|mobile|mob|cell|call|ring|rang|text|fax|contact|"
                            r"number|whatsapp|landline|work|home|after hours|a/h)\b[^\n]{0,25}$")


class NumberSpan(NamedTuple):
    start: int
    end: int
    entity: str
    score: float


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_cards(text: str) -> list[NumberSpan]:
    out = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if not 12 <= len(digits) <= 19 or not luhn_ok(digits) or len(set(digits)) < 2:
            continue
        if digits[0] in "23456":
            out.append(NumberSpan(m.start(), m.end(), "CREDIT_CARD", CARD_SCORE))
        elif _CARD_CONTEXT.search(text, max(0, m.start() - 40), m.start()):
            out.append(NumberSpan(m.start(), m.end(), "CREDIT_CARD", CARD_CONTEXT_SCORE))
    return out


class _Matcher(phonenumbers.PhoneNumberMatcher):
    """libphonenumber's matcher, remembering what each candidate parses to. Its ``_parse_and_verify``
    depends on the text only through the characters right before and after the candidate (checked for
    letters and currency signs); with those in the key, a number met again is not parsed again."""

    def _parse_and_verify(self, candidate: str, offset: int) -> Any:
        text = self.text
        end = offset + len(candidate)
        key = (candidate, self.preferred_region, self.leniency, text[offset - 1] if offset > 0 else None,
               text[end] if end < len(text) else None)
        number = _PARSED.get(key, _UNSEEN)
        if number is _UNSEEN:
            match = super()._parse_and_verify(candidate, offset)
            if len(_PARSED) > _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = None if match is None else match.number
            return match
        return None if number is None else phonenumbers.PhoneNumberMatch(offset, candidate, number)


_PARSED: dict[tuple[Any, ...], Any] = {}
_PARSED_MAX = 65_536
_UNSEEN = object()
# The private method this relies on is checked once; a phonenumbers without it gets the plain matcher.
_MATCHER: type[phonenumbers.PhoneNumberMatcher] = (
    _Matcher if callable(getattr(phonenumbers.PhoneNumberMatcher, "_parse_and_verify", None))
    else phonenumbers.PhoneNumberMatcher)


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[NumberSpan]:
    if not _PHONE_POSSIBLE.search(text):
        return []
    out = []
    for match in _MATCHER(text, region, leniency=phonenumbers.Leniency.VALID):
        raw = match.raw_string
        international = raw.startswith(("+", "00", "(+"))
        score = PHONE_INTL_SCORE if international else PHONE_SCORE
        if _PHONE_CONTEXT.search(text, max(0, match.start - 30), match.start):
            score += PHONE_CONTEXT_BOOST
        out.append(NumberSpan(match.start, match.end, "PHONE_NUMBER", round(min(score, 1.0), 2)))
    return out


def has_trunk_or_country_prefix(span_text: str) -> bool:
    """A phone written with its country code or trunk 0 ("+64 …", "021 …"), not a bare digit run."""
    return span_text.lstrip("( ").startswith(("+", "0"))
