"""The span finder's fast paths must find exactly what the libraries they stand in for find.

- It runs Presidio's pattern recognizers itself (``analyze._PatternSpans``: ``re`` instead of ``regex``, no
  result objects, the schemeless-URL pattern confined to dotted runs with its domains grouped, e-mails
  validated once per domain): the same spans as each recognizer's own ``analyze``, in the same order,
  with the same scores.
- Its phone matcher remembers what libphonenumber parsed a candidate to, and parses a plainly written number
  (digits, single blanks or hyphens, a leading "+") itself: the same matches as a fresh ``PhoneNumberMatcher``,
  whatever it met before."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from anonymiser.detect import numbers
from anonymiser.detect.analyze import _RE_FLAGS, _DottedRuns, _PatternSpans
from anonymiser.detect.anchored import EMAIL_PATTERN, AtAnchored, Needing
from anonymiser.detect.engine import get_engine
from tests.eval.generate import load

SAMPLES = [
    "write to aroha@example.co.nz or visit https://example.org.nz/path?x=1 and www.kiwi.nz.",
    "mail Aroha.Ngata12@XTRA.CO.NZ, site example.COM/a(b) and 'http://quoted.org' \"www2.x.io\"",
    "IBAN GB82 WEST 1234 5698 7654 32, DE89370400440532013000; ip 192.168.0.1/24, ::ffff:10.0.0.1, fe80::1",
    "SSN 078-05-1120, 078 05 1120, ITIN 912-70-1234; mac 00:1A:2b:3c:4D:5e, uuid 123e4567-e89b-12d3-a456-426614174000",
    "btc 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq; a.b.c.d.e.f.g",
    "Kelvin \u212a.com ſ.nz İ.io x" + "y" * 300 + ".com end." + "a." * 200 + "com",
    "odd locals a/b@example.com, q?x@example.org, h#k@example.net, c:d@example.io, a//b@invalid.zzz, x@y.zzz",
]
ALPHABET = "abcmnoqrstuwxzKIP0123456789.@-:/_ \n'\"()\u212a\u017f\u0130é"


def _texts() -> list[str]:
    rng = random.Random(20261130)
    noise = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 80))) for _ in range(3000)]
    return SAMPLES + [r["text"] for r in load()] + noise


def _pattern_recognizers() -> list[object]:
    from presidio_analyzer import PatternRecognizer

    return [r for r in get_engine("blank").analyzer.registry.recognizers
            if isinstance(r, PatternRecognizer) and type(r).analyze is PatternRecognizer.analyze]


@pytest.mark.parametrize("recognizer", _pattern_recognizers(), ids=lambda r: r.name)
def test_same_spans_as_presidio(recognizer: object) -> None:
    ours = _PatternSpans(recognizer)
    entity = recognizer.supported_entities[0]
    for text in _texts():
        theirs = [(r.start, r.end, r.entity_type, r.score, ()) for r in recognizer.analyze(text, [entity])]
        assert ours(text) == theirs, text


def test_the_url_pattern_takes_the_fast_path() -> None:
    url = next(r for r in _pattern_recognizers() if r.name == "UrlRecognizer")
    assert any(isinstance(pattern, _DottedRuns) for pattern, _ in _PatternSpans(url).patterns)


def test_the_url_patterns_with_a_scheme_or_quotes_are_skipped_in_texts_without() -> None:
    url = next(r for r in _pattern_recognizers() if r.name == "UrlRecognizer")
    needing = [pattern for pattern, _ in _PatternSpans(url).patterns if isinstance(pattern, Needing)]
    assert sorted(p.strings for p in needing) == [('"', "'"), ('"', "'"), ("://",)]
    assert all(list(p.finditer("see https: example.org or www.example.org")) == [] for p in needing[1:])


def test_the_email_pattern_takes_the_fast_path() -> None:
    email = next(r for r in _pattern_recognizers() if r.name == "EmailRecognizer")
    assert any(isinstance(pattern, AtAnchored) for pattern, _ in _PatternSpans(email).patterns)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab9_.-+'!~@ \t\n\r\x0b\xa0\u2028é\u212a,;()<>", max_size=60) |
       st.lists(st.sampled_from(["a@b.co", "a.b@c.d-e.nz", "x", "@", "a@", "@b.c", " ", "\n", "\t", ".", "é@é.é",
                                 "a..b@c.d", "'a'@b.c", "a @b.c"]), max_size=10).map("".join))
@example("aroha@x.nz a@b.co")
@example("a\tb@c.de")
@example("a b@c.de@f.gh")
def test_emails_anchored_at_the_at_sign_are_the_plain_search(text: str) -> None:
    plain = re.compile(EMAIL_PATTERN, _RE_FLAGS)
    fast = AtAnchored.wrap(EMAIL_PATTERN, plain)
    assert isinstance(fast, AtAnchored)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


PHONE_TEXTS = [
    "call 021 555 1234 today", "call021 555 1234", "021 555 1234x", "$021 555 1234", "021 555 1234%",
    "ring +44 20 7946 0958 or 09 379 0000", "IRD 049-091-850", "021 555 1234", "x021 555 1234",
    "12/05/2024 021 555 1234 at 10:30", "(021) 555 1234 and (021 555 1234",
]


def test_remembered_phone_numbers_match_as_libphonenumber_does() -> None:
    numbers._PARSED.clear()
    for _ in range(2):         # the second round answers from what the first remembered
        for text in PHONE_TEXTS:
            plain = [(m.start, m.end, m.raw_string) for m in phonenumbers.PhoneNumberMatcher(
                text, "NZ", leniency=phonenumbers.Leniency.VALID)]
            assert [(s.start, s.end, text[s.start:s.end]) for s in numbers.find_phones(text)] == plain, text
    assert numbers._PARSED


# Plainly written numbers around the turns libphonenumber's parse takes: trunk and international prefixes (NZ:
# 00 and 0161), a country code written without "+", "+" with an unknown code, too short or long, neighbours
# that void a match (letters, %, currency signs) or do not.
_HEADS = ["+64", "+64 ", "+640", "+61 ", "+44 ", "+1 ", "+7", "+86", "+999", "+6", "+", "0", "00", "0161", "64",
          "61", "1", "9", ""]
_NEIGHBOURS = ["", " ", "x", "$", "%", "\u20ac", "\u00e9", "(", ")", "+", "a", "1", "\u03a9", "\n", ".", ",", "#"]


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["NZ", "AU", "US", "GB", "IT", "DE", "AR", "MX", "BR", "JP"]), st.sampled_from(_NEIGHBOURS),
       st.sampled_from(_HEADS), st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5),
       st.sampled_from([" ", "-", "", "  ", ".", "/"]), st.sampled_from(_NEIGHBOURS))
@example("NZ", " ", "0", ["21", "555", "1234"], " ", " ")
@example("NZ", "", "+64 ", ["21", "986", "7413"], " ", ".")
@example("NZ", "x", "0", ["21", "555", "1234"], " ", "")
@example("NZ", "", "0161", ["2", "555", "1234"], "", "")
@example("NZ", "", "64", ["21", "555", "1234"], "", "")
@example("NZ", "", "+86-", ["12328"], "", " ")      # a national prefix that would leave nothing: not stripped
@example("BR", "", "+86 ", ["12923"], "", " ")
def test_plainly_written_phone_numbers_parse_as_libphonenumber_parses_them(
        region: str, before: str, head: str, groups: list[str], separator: str, after: str) -> None:
    numbers._PARSED.clear()
    text = f"call {before}{head}{separator.join(groups)}{after} today"
    plain = [(m.start, m.end, m.raw_string, m.number) for m in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID)]
    ours = [(m.start, m.end, m.raw_string, m.number) for m in numbers._MATCHER(
        text, region, leniency=phonenumbers.Leniency.VALID)]
    assert ours == plain


@pytest.mark.parametrize("candidate", ["021 555 1234", "+64 21 986 7413", "09-379-0000", "+44 20 7946 0958"])
def test_plainly_written_phone_numbers_take_the_short_parse(candidate: str) -> None:
    number = numbers._plain_number(candidate, "NZ")
    assert number is not numbers._SLOW
    assert number == phonenumbers.parse(candidate, "NZ", keep_raw_input=True)


@pytest.mark.parametrize("iban", ["GB82 WEST 1234 5698 7654 32", "GB82-WEST-1234-5698-7654-32",
                                  "DE89370400440532013000"])
def test_ibans_reach_the_iban_recognizer_in_any_layout(iban: str) -> None:
    from anonymiser.detect.spans import find_spans

    text = f"Refund to IBAN {iban} please."
    spans = find_spans([text], entities=["IBAN_CODE"], threshold=0.35)[0]
    assert [text[s.start:s.end] for s in spans] == [iban]
