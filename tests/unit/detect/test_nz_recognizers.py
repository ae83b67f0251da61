"""NZ recognizers on valid and invalid vectors (shared/NZ_IDENTIFIERS.md), through the real analyzer."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from anonymiser.detect.analyze import FREE_TEXT_THRESHOLD, analyze_texts
from anonymiser.detect.engine import get_engine
from anonymiser.detect.nz_recognizers import FAST_FORMS, NZ_PATTERNS

# (entity, text around the identifier, identifier, found?)
VECTORS: list[tuple[str, str, bool]] = [
    ("NZ_IRD", "IRD number 49091850 on file", True),
    ("NZ_IRD", "IRD number 35901981 on file", True),
    ("NZ_IRD", "IRD number 49-098-576 on file", True),
    ("NZ_IRD", "IRD number 136410132 on file", True),
    ("NZ_IRD", "IRD number 136-410-132 on file", True),
    ("NZ_IRD", "IRD number 136410133 on file", False),     # check digit
    ("NZ_IRD", "IRD number 9125568 on file", False),       # below the valid range
    ("NZ_IRD", "IRD number 150000001 on file", False),     # above the valid range
    ("NZ_NHI", "patient NHI ZZZ0016 admitted", True),
    ("NZ_NHI", "patient NHI ZAC5361 admitted", True),
    ("NZ_NHI", "patient NHI ZZZ00AX admitted", True),      # new format (2022+)
    ("NZ_NHI", "patient NHI zac5361 admitted", True),
    ("NZ_NHI", "patient NHI ZZZ0017 admitted", False),
    ("NZ_NHI", "the dog is fine. Ref 1833. Thanks", False),   # "REF1833" passes the checksum: a word, not an NHI
    ("NZ_NHI", "all good, see ref1833 for details", False),   # lower case without a cue
    ("NZ_NHI", "patient NHI ZZZ00AY admitted", False),
    ("NZ_NHI", "patient NHI ZIZ0016 admitted", False),     # I is never used
    ("NZ_BANK_ACCOUNT", "refund to bank account 01-0902-0068389-00 please", True),
    ("NZ_BANK_ACCOUNT", "refund to bank account 08-6523-1954512-001 please", True),
    ("NZ_BANK_ACCOUNT", "refund to bank account 26-2600-0320871-032 please", True),
    ("NZ_BANK_ACCOUNT", "refund to bank account 01 0902 0068389 00 please", True),
    ("NZ_BANK_ACCOUNT", "refund to bank account 01-0902-0068388-00 please", False),
    ("NZ_BANK_ACCOUNT", "refund to bank account 26-2600-0320871-033 please", False),
    ("NZBN", "company NZBN 9429044650421 registered", True),
    ("NZBN", "company NZBN 9429044650422 registered", False),
    ("NZBN", "company NZBN 9529044650425 registered", False),
    ("NZ_DRIVER_LICENCE", "driver licence DL123456 version 123", True),
    ("NZ_DRIVER_LICENCE", "driver licence D1234567 version 123", False),
    ("NZ_PASSPORT", "passport LA123456 expires soon", True),
    ("NZ_PASSPORT", "passport N123456 expires soon", True),
    ("NZ_PASSPORT", "passport LA12345 expires soon", False),
    ("PHONE_NUMBER", "call me on 021 555 0199 tonight", True),
    ("PHONE_NUMBER", "call me on +64 21 555 0199 tonight", True),
    ("PHONE_NUMBER", "ring the office on (09) 379 0101", True),
    ("PHONE_NUMBER", "toll free 0800 838 383 any time", True),
    ("PHONE_NUMBER", "call me on 12 tonight", False),
]


def _ids(v: tuple[str, str, bool]) -> str:
    return f"{v[0]}-{'valid' if v[2] else 'invalid'}-{v[1].split()[-3] if v[0] != 'NZ_IRD' else v[1].split()[2]}"


@pytest.mark.parametrize(("entity", "text", "found"), VECTORS, ids=[_ids(v) for v in VECTORS])
def test_nz_recognizer_vectors(entity: str, text: str, found: bool) -> None:
    hits = analyze_texts([text], engine=get_engine("blank"), entities=[entity], threshold=FREE_TEXT_THRESHOLD,
                         workers=1)[0]
    assert any(h.entity == entity for h in hits) is found, hits


@pytest.mark.parametrize(("entity", "text"), [
    ("NZ_DRIVER_LICENCE", "order code DL123456 shipped"),
    ("NZ_PASSPORT", "order code LA123456 shipped"),
], ids=["licence-needs-context", "passport-needs-context"])
def test_shapes_without_check_digit_need_context(entity: str, text: str) -> None:
    hits = analyze_texts([text], engine=get_engine("blank"), entities=[entity], threshold=FREE_TEXT_THRESHOLD,
                         workers=1)[0]
    assert hits == []


def test_phone_recognizer_is_libphonenumbers_matcher_with_nz_first() -> None:
    engine = get_engine("blank")
    phone = [r for r in engine.analyzer.registry.recognizers if r.name == "PhoneMatcherRecognizer"]
    assert len(phone) == 1 and phone[0].region == "NZ"
    assert "PhoneRecognizer" not in engine.recognizers      # Presidio's ten-region loop is replaced


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("Parcel for Hēmi Herewini left at the door.", "Hēmi Herewini", id="macron-given-name"),
        pytest.param("Parcel for Hemi Herewini left at the door.", "Hemi Herewini", id="macron-dropped"),
        pytest.param("Kia ora, this is Tūī Pōmare.", "Tūī Pōmare", id="macrons-both"),
        pytest.param("Call Mānia Rewiti back today.", "Mānia Rewiti", id="lexicon-names"),
        pytest.param("Sione Tuipulotu asked for a refund.", "Sione Tuipulotu", id="pasifika"),
        pytest.param("Spoke with Zorblax Waaka on Monday.", "Zorblax Waaka", id="unknown-given-known-family"),
    ],
)
def test_person_recognizer_finds_nz_names(text: str, name: str) -> None:
    hits = analyze_texts([text], engine=get_engine("blank"), entities=["PERSON"], workers=1)[0]
    assert name in [text[h.start:h.end] for h in hits]


def test_the_article_te_alone_is_not_a_name() -> None:
    assert analyze_texts(["Te Reo classes start in March."], engine=get_engine("blank"), entities=["PERSON"],
                         workers=1) == [[]]


def test_every_fast_form_stands_for_a_pattern() -> None:
    patterns = {regex for _, listed, _ in NZ_PATTERNS.values() for _, regex, _ in listed}
    assert set(FAST_FORMS) <= patterns


@pytest.mark.parametrize("plain", sorted(FAST_FORMS))
@settings(max_examples=600, deadline=None)
@given(text=st.text(alphabet="0124569 -a_\t\n\u0663.", max_size=40) |
       st.lists(st.sampled_from(["9429", "94290446", "50421", "01", "0902", "0068389", "00", "049", "091", "850",
                                 "136410132", "-", " ", "a", "_"]), max_size=10).map("".join))
@example(text="049-091-850")
@example(text="a049-091-850")
@example(text="01-0902-0068389-00")
@example(text="9429044650421")
def test_a_fast_form_finds_what_its_pattern_finds(plain: str, text: str) -> None:
    slow, fast = re.compile(plain, re.IGNORECASE), re.compile(FAST_FORMS[plain], re.IGNORECASE)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in slow.finditer(text)]
