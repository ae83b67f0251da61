"""Card and phone numbers in free text, found without a model.

- **Cards**: runs of 12 to 19 digits (single spaces or hyphens allowed between digits) that pass the
  Luhn check. A run opening with a scheme's digit (2–6: Mastercard, Amex, Diners, JCB, Visa,
  Discover, Maestro, UnionPay) is a card on its own; any other needs a card word before it.
- **Phones**: ``phonenumbers.PhoneNumberMatcher`` (libphonenumber's matcher) with the source's
  region as default: numbers in international form of any region, and national numbers of that
  region, each checked against the region's number plan (``Leniency.VALID``). One pass per text;
  texts with fewer than seven digits are skipped before the matcher runs. A candidate met before is
  not parsed again, and a plainly written one ("021 555 1234", "+64 21 986 7413") skips the string
  handling of libphonenumber's parse (the same number: tests/unit/detect/test_fast_patterns.py).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import phonenumbers
from phonenumbers import phonenumbermatcher, phonenumberutil
from phonenumbers.re_util import re_compile

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
    letters and currency signs); with those in the key, a number met again is not parsed again. A number
    not met before, written only with digits, single blanks or hyphens and maybe a leading "+", is parsed
    by ``_plain_number`` (the same number, a fraction of the cost)."""

    def _parse_and_verify(self, candidate: str, offset: int) -> Any:
        text = self.text
        end = offset + len(candidate)
        before, after = text[offset - 1] if offset > 0 else None, text[end] if end < len(text) else None
        key = (candidate, self.preferred_region, self.leniency, before, after)
        number = _PARSED.get(key, _UNSEEN)
        if number is _UNSEEN:
            match = self._plain_match(candidate, offset, before, after)
            if match is _SLOW:
                match = super()._parse_and_verify(candidate, offset)
            if len(_PARSED) > _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = None if match is None else match.number
            return match
        return None if number is None else phonenumbers.PhoneNumberMatch(offset, candidate, number)

    def _plain_match(self, candidate: str, offset: int, before: str | None, after: str | None) -> Any:
        """``_parse_and_verify`` of a plainly written candidate at ``Leniency.VALID``, or ``_SLOW``. Such a
        candidate has no brackets, page reference, extension or letters, so the checks on those pass or find
        nothing; the neighbour checks, the parse's decisions from the metadata and the verification are
        libphonenumber's own."""
        region = self.preferred_region
        if not _SHORT_PARSE or self.leniency != phonenumbers.Leniency.VALID or region is None or \
                not _PLAIN.fullmatch(candidate):
            return _SLOW
        for neighbour, checked in ((before, candidate[0] != "+"), (after, True)):
            if checked and neighbour is not None and (
                    self._is_invalid_punctuation_symbol(neighbour) or self._is_latin_letter(neighbour)):
                return None
        number = _plain_number(candidate, region)
        if number is _SLOW:
            return _SLOW
        if number is None or not phonenumbermatcher._verify(self.leniency, number, candidate, self):
            return None
        number.country_code_source = phonenumbers.CountryCodeSource.UNSPECIFIED   # as libphonenumber clears them
        number.raw_input = None
        number.preferred_domestic_carrier_code = None
        return phonenumbers.PhoneNumberMatch(offset, candidate, number)


_PARSED: dict[tuple[Any, ...], Any] = {}
_PARSED_MAX = 65_536
_UNSEEN = object()
_SLOW = object()     # not a plainly written number: libphonenumber parses it
# Digits in groups joined by one blank or hyphen, maybe after a "+": what libphonenumber's parse reduces to
# its digits (nothing for an extension, a second number or a phone context to hold).
_PLAIN = re.compile(r"\+?[0-9]+(?:[ \-][0-9]+)*")


def _plain_number(candidate: str, region: str) -> Any:
    """``phonenumbers.parse(candidate, region, keep_raw_input=True)`` of a ``_PLAIN`` candidate (None where it
    raises), following its steps; ``_SLOW`` where a step would take a turn this does not follow (a number
    starting with an international prefix or the region's country code, a country code not recognised)."""
    digits = candidate.replace(" ", "").replace("-", "")
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or len(digits) < 3 or len(candidate) > phonenumberutil._MAX_INPUT_STRING_LENGTH:
        return _SLOW
    number = phonenumbers.PhoneNumber(raw_input=candidate)
    code: int | None
    if candidate[0] == "+":
        code, national = phonenumberutil._extract_country_code(digits[1:])
        if code == 0 or len(digits) - 1 <= phonenumberutil._MIN_LENGTH_FOR_NSN:
            return _SLOW
        number.country_code_source = phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN
        number_region = phonenumbers.region_code_for_country_code(code)
        if number_region != region:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, number_region)
    else:
        idd, code = metadata.international_prefix, metadata.country_code
        if code is None or (idd is not None and phonenumberutil._parse_prefix_as_idd(re_compile(idd), digits)[0]) or \
                digits.startswith(str(code)):
            return _SLOW
        number.country_code_source = phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        national = digits
    if metadata is None:    # parse asserts it: a recognised country code has metadata
        return _SLOW
    number.country_code = code
    if len(national) < phonenumberutil._MIN_LENGTH_FOR_NSN:
        return None
    carrier, stripped, _ = phonenumberutil._maybe_strip_national_prefix_carrier_code(national, metadata)
    if phonenumberutil._test_number_length(stripped, metadata) not in _KEEPS_PREFIX:
        national = stripped
        if carrier:
            number.preferred_domestic_carrier_code = carrier
    if len(national) > phonenumberutil._MAX_LENGTH_FOR_NSN:
        return None
    phonenumberutil._set_italian_leading_zeros_for_phone_number(national, number)
    number.national_number = int(national)
    return number


# libphonenumber's private steps the short parse calls, checked once: a release without one of them parses every
# candidate itself.
_SHORT_PARSE = hasattr(phonenumbermatcher, "_verify") and all(hasattr(phonenumberutil, name) for name in (
    "ValidationResult", "_extract_country_code", "_parse_prefix_as_idd", "_MIN_LENGTH_FOR_NSN",
    "_MAX_LENGTH_FOR_NSN", "_MAX_INPUT_STRING_LENGTH", "_maybe_strip_national_prefix_carrier_code",
    "_test_number_length", "_set_italian_leading_zeros_for_phone_number"))
# What the number left after the national prefix can be for parse to keep the prefix on.
_KEEPS_PREFIX = frozenset({getattr(phonenumberutil.ValidationResult, name) for name in (
    "TOO_SHORT", "IS_POSSIBLE_LOCAL_ONLY", "INVALID_LENGTH")}) if _SHORT_PARSE else frozenset()
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
