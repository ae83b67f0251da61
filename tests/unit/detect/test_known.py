"""Known entities: masked columns' source values found again in free text, in any spelling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.detect import known_forms as kf
from anonymiser.detect import known_windows as kw
from anonymiser.detect.known import KnownEntities


@pytest.fixture(scope="module")
def index() -> KnownEntities:
    known = KnownEntities()
    known.add("PERSON", ["Aroha Ngata", "Hēmi Walker", "Mark Brown", "Ludo van der Berg", "Mere Te Whata"])
    known.add("PHONE_NUMBER", ["+64 21 555 1234"])
    known.add("EMAIL_ADDRESS", ["Aroha.Ngata@Example.co.nz"])
    known.add("NZ_IRD", ["049-091-850"])
    known.add("NZ_NHI", ["ZZZ0016"])
    known.add("STREET_ADDRESS", ["12 Queen Street", "PO Box 17", "Flat 83\n9 Papapataimoko Place",
                                 "41 Kauri Road\nRD 2"])
    known.add("PERSON", ["Sione Taufa"], domain="staff_name")
    return known


def _found(index: KnownEntities, text: str) -> list[tuple[str, str, str]]:
    return [(text[m.start:m.end], m.entity, m.parts[0][2] if m.parts else "") for m in index.find_one(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Call Aroha Ngata on 021 555 1234.", [("Aroha Ngata", "PERSON", ""), ("021 555 1234", "PHONE_NUMBER", "")]),
    ("ring (021) 555-1234 or +64 21 5551234", [("(021) 555-1234", "PHONE_NUMBER", ""),
                                               ("+64 21 5551234", "PHONE_NUMBER", "")]),
    ("write to AROHA.NGATA@example.CO.NZ", [("AROHA.NGATA@example.CO.NZ", "EMAIL_ADDRESS", "")]),
    ("Hemi Walker (IRD 49091850, NHI zzz 0016)", [("Hemi Walker", "PERSON", ""), ("49091850", "NZ_IRD", ""),
                                                  ("zzz 0016", "NZ_NHI", "")]),
    ("Deliver to 12 Queen Street by noon.", [("12 Queen Street", "STREET_ADDRESS", "")]),
    # Faker's en_NZ street values: a box, a unit line before the street, an RD line after it.
    ("to PO Box 17. Not P.O. Box 175; p.o. box 17 again", [("PO Box 17", "STREET_ADDRESS", ""),
                                                           ("p.o. box 17", "STREET_ADDRESS", "")]),
    ("at 9 Papapataimoko Place, Flat 83; 41 Kauri Road, RD 2", [("9 Papapataimoko Place", "STREET_ADDRESS", ""),
                                                               ("41 Kauri Road", "STREET_ADDRESS", "")]),
    ("Ludo van der Berg and Mere Te Whata rang; Berg again.", [("Ludo van der Berg", "PERSON", ""),
                                                               ("Mere Te Whata", "PERSON", ""),
                                                               ("Berg", "PERSON", "family")]),
    ("Later Aroha said Ngata's parcel came.", [("Aroha", "PERSON", "given"), ("Ngata", "PERSON", "family")]),
], ids=["name-and-phone", "phone-layouts", "email-case", "macron-and-identifiers", "street", "box",
        "street-line-of-multi-line-value", "particles",
        "parts-alone"])
def test_known_values_are_found(index: KnownEntities, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(index, text) == expected


def test_everyday_words_are_only_found_inside_the_full_name(index: KnownEntities) -> None:
    # "Mark Brown" is known: "Mark" and "Brown" alone are ordinary words, "Walker" too.
    assert _found(index, "Mark the invoice; Brown paper; a Walker frame.") == []
    assert _found(index, "Mark Brown called.") == [("Mark Brown", "PERSON", "")]


def test_matches_carry_the_columns_domain(index: KnownEntities) -> None:
    (match,) = index.find_one("Sione Taufa signed.")
    assert match.domain == "staff_name"
    assert [m.domain for m in index.find_one("Aroha Ngata signed.")] == [None]


def test_memory_is_eight_bytes_a_value_plus_a_target() -> None:
    known = KnownEntities()
    known.add("EMAIL_ADDRESS", [f"user{i}@example.org" for i in range(100_000)])
    known.freeze()
    assert known.nbytes == 100_000 * (8 + 4)
    assert known.find_one("mail user99999@example.org today")[0].entity == "EMAIL_ADDRESS"


def test_first_and_last_name_columns_are_found_alone_as_parts() -> None:
    known = KnownEntities()
    known.add("GIVEN_NAME", ["Zygmunt", "Mark"])
    known.add("FAMILY_NAME", ["Przybylak"])
    assert _found(known, "Zygmunt rang; Przybylak again. Mark the parcel.") == [
        ("Zygmunt", "PERSON", "given"), ("Przybylak", "PERSON", "family")]


def test_names_match_in_any_unicode_form_and_blank() -> None:
    # Windows are hashed in numpy from folded code points: decomposed macrons, an ʻokina, a tab, capitals.
    known = KnownEntities()
    known.add("PERSON", ["Hēmi Walker", "Kaʻiulani Kawānanakoa"])
    text = "Hoki: He\u0304mi\tWALKER; Kaiulani Kawananakoa's form."
    assert _found(known, text) == [("He\u0304mi\tWALKER", "PERSON", ""), ("Kaiulani Kawananakoa", "PERSON", "")]


# Candidates are cut in numpy, or found by a regex started only at anchors: they must be exactly the
# regexes' own matches, in any text (these characters are the ones the patterns turn on).
_PIECES = [*"aAbBoOxXgGzZ0159 \t\n,.'\u2019-/()+@_\u00e9\u00c9\u0301\u02bb\u0663",
           "P.O. ", "PO ", "Private ", "Bag ", "Box ", "gpo ", "12 ", "IRD ", "te ", "Queen Street", "x@y.nz", "00"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_candidates_are_the_patterns_matches(text: str) -> None:
    buffer = kw._Buffer(text)
    assert kw._digit_run_spans(buffer).tolist() == [list(m.span()) for m in kw._DIGIT_RUN.finditer(text)]
    assert kw._emails(buffer) == [(m.start(), m.end(), m.group().lower()) for m in kw._EMAIL.finditer(text)]
    assert kw._identifier_tokens(buffer) == [(m.start(), m.end(), kf.norm_identifier(m.group()))
                                                for m in kw._ID_TOKEN.finditer(text)]
    assert kw._boxes(buffer) == [(m.start(), m.end(), kf.norm_street(m.group()))
                                    for m in kf._BOX_LINE.finditer(text)]
    # Street windows: the number and each prefix of the words, as norm_street writes them.
    expected: list[tuple[int, int, str]] = []
    for m in kf._STREET_LINE.finditer(text):
        form = kf.norm_street(text[m.start():m.start("words")])
        for word in kw._WORD.finditer(m.group("words")):
            form += " " + kf.norm_name(word.group())
            expected.append((m.start(), m.start("words") + word.end(), form))
    begin, end, hashes = kw._street_windows(buffer)
    assert list(zip(begin.tolist(), end.tolist(), hashes.tolist(), strict=True)) == [
        (s, e, h) for (s, e, _), h in zip(expected, kf.poly_hashes([f for _, _, f in expected]).tolist(),
                                          strict=True)]


def test_full_names_in_lower_case_are_found_but_not_parts_alone(index: KnownEntities) -> None:
    # A known full name written in lower case is still that person; a part alone in lower case is a word.
    assert _found(index, "call aroha ngata re the refund; Aroha ngata's box, ludo van der berg") == [
        ("aroha ngata", "PERSON", ""), ("Aroha ngata", "PERSON", ""), ("ludo van der berg", "PERSON", "")]
    assert _found(index, "aroha rang; mark brown paper; aroha  ngata") == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aBé\u0301\u02bb \t", max_size=1200), st.lists(st.tuples(st.integers(0, 1200),
                                                                                   st.integers(0, 700)), max_size=8))
def test_name_hashes_from_prefix_sums_are_the_window_hashes(text: str, windows: list[tuple[int, int]]) -> None:
    buffer = kw._Buffer(text)
    begin = np.array([min(b, len(text)) for b, _ in windows], dtype=np.int64)
    end = np.array([min(b + n, len(text)) for b, n in windows], dtype=np.int64).reshape(-1)
    end = np.maximum(end, begin)
    assert buffer.name_hashes(begin, end).tolist() == \
        kw._window_hashes(buffer.weights, buffer.dropped, begin, end).tolist()


def test_phones_are_found_in_their_national_layout() -> None:
    known = KnownEntities()
    known.add("PHONE_NUMBER", ["+44 20 7946 0958", "+1 415 555 2671", "021 555 1234"])
    text = "call 020 7946 0958, ring (415) 555-2671 or 0064 21 555 1234; ref 2079 4609 58"   # any grouping
    assert [text[m.start:m.end] for m in known.find_one(text)] == [
        "020 7946 0958", "(415) 555-2671", "0064 21 555 1234", "2079 4609 58"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"+(0012344789 -)", "00", "+1", "+44", "+64", "+358", "0"]), max_size=30).map("".join))
def test_national_numbers_of_digit_runs_are_national_phone(text: str) -> None:
    buffer = kw._Buffer(text)
    runs = kw._digit_run_spans(buffer).tolist()
    phones, _ = kw.digit_runs(buffer)
    national = phones[2][len(runs):].tolist()
    for (begin, end), got in zip(runs, national, strict=True):
        form = kf.national_phone(text[begin:end])
        assert got == (kf.poly_hashes([form]).tolist()[0] if form else 0), (text, begin, end)


def test_large_tables_are_filtered_by_a_bit_array_and_find_the_same() -> None:
    known = KnownEntities()
    known.add("EMAIL_ADDRESS", [f"user{i}@example.org" for i in range(300_000)])
    known.freeze()
    assert 300_000 * (8 + 4 + 1) <= known.nbytes <= 300_000 * (8 + 4 + 2)     # 1 to 2 bytes a value of bits
    text = "mail user299999@example.org, user300000@example.org or user7@example.org"
    assert [text[m.start:m.end] for m in known.find_one(text)] == ["user299999@example.org", "user7@example.org"]


def test_first_and_last_name_columns_are_found_as_a_lower_case_pair() -> None:
    known = KnownEntities()
    known.add("GIVEN_NAME", ["Aroha", "Mark"])
    known.add("FAMILY_NAME", ["Ngata", "Brown"])
    assert _found(known, "call aroha ngata re the refund; aroha rang; mark brown paper") == [
        ("aroha", "PERSON", "given"), ("ngata", "PERSON", "family")]
