"""The known-entity index built in Arrow holds exactly what the per-value build held (same hashes, same
targets): the per-value normalisers are the reference."""

from __future__ import annotations

import datetime
import random
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.detect import known_forms as kf
from anonymiser.detect.gazetteer import load
from anonymiser.detect.known import KnownEntities, Target

ENTITIES = ("PERSON", "GIVEN_NAME", "FAMILY_NAME", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "NZ_IRD")


def reference_add(known: KnownEntities, entity: str, values: list[str], domain: str | None = None) -> None:
    """The index build as it was, one Python string at a time."""
    values = [v for v in values if v]
    known.values += len(values)
    g = load()
    ordinary = g.never | g.ambiguous | g.places
    if entity == "PERSON":
        names = [kf.norm_name(v) for v in values]
        known._table("name").add(names, known._target(Target("PERSON", domain)))
        given_: set[str] = set()
        family: set[str] = set()
        for n in names:
            words = [w for w in n.split() if len(w) >= 2 and w not in kf._PARTICLES]
            if len(words) >= 2:
                given_.add(words[0])
                family.add(words[-1])
        known._table("name_part").add(sorted(family - ordinary), known._target(Target("PERSON", domain, "family")))
        known._table("name_part").add(sorted(given_ - ordinary), known._target(Target("PERSON", domain, "given")))
    elif entity in ("GIVEN_NAME", "FAMILY_NAME"):
        role = "given" if entity == "GIVEN_NAME" else "family"
        known._table("name_part").add(sorted({n for v in values if len(n := kf.norm_name(v)) >= 2} - ordinary),
                                      known._target(Target("PERSON", domain, role)))
    elif entity == "EMAIL_ADDRESS":
        known._table("email").add((v.strip().lower() for v in values), known._target(Target(entity, domain)))
    elif entity == "PHONE_NUMBER":
        phones = (p for v in values for p in {kf.norm_phone(v), kf.national_phone(v)} if len(p) >= 7)
        known._table("phone").add(phones, known._target(Target(entity, domain)))
    elif entity == "STREET_ADDRESS":
        streets = (f for v in values for f in kf.street_forms(v))
        known._table("street").add(streets, known._target(Target(entity, domain)))
    else:
        known._table("identifier").add((i for v in values if len(i := kf.norm_identifier(v)) >= 5),
                                       known._target(Target(entity, domain)))


def assert_same(built: KnownEntities, reference: KnownEntities) -> None:
    built.freeze()
    reference.freeze()
    assert built.values == reference.values
    assert built._targets == reference._targets
    assert sorted(built._tables) == sorted(reference._tables)
    for kind, table in reference._tables.items():
        other = built._tables[kind]
        assert np.array_equal(other.sorted_hashes, table.sorted_hashes), kind
        assert np.array_equal(other.sorted_targets, table.sorted_targets), kind


SAMPLES = [
    "Aroha Ngata", "Hēmi  NGATA", "Ludo van der Berg", "Mere Te Whata", "Kaʻiulani Kawānanakoa", "Mark", "a b",
    "Jean-Luc d'Arcy", "O'Brien", "  Sione\tTaufa  ", "Ngata's", "MAC DONALD", "de la Cruz", "\x01Ana\x1cLee",
    "José\u00a0García", "Zoë Brown", "STRAẞE", "İlker Şahin", "Ana\u0301 Ngata", "X Æ A-12", "名前 太郎", "🙂 Smile",
    "+64 21 555 1234", "021 555 1234", "0064 21 555 1234", "(09) 555-1234", "+44 20 7946 0958", "00 1 415 555 2671",
    "( +61 2 9876 5432", "+999 123 4567", "0", "00", "+", "5551234", "00000000", "64 21 5551234", "+1", "0800 838 383",
    "049-091-850", "000000", "000123456", "ZZZ0016", "12-3456-7890123-00", "ab-12345", "AB 123456789",
    "12 Queen Street", "PO Box 17", "P.O. Box 4411", "p o box 9", "Private Bag 92019", "locked  bag 3", "GPO Box 1",
    "Flat 83\n9 Papapataimoko Place", "12 Queen Street\nRD 3", "41 Kauri Road\r\nRD 2, Kerikeri 0295",
    "208 Rangimoko Street, Lintonville, Auckland 8678", "Unit 45\n87 Waipokiwi Corner", "12A/3 Long Lane",
    "7 Ōtāhuhu Road", "3 a b c d e f", "12345 Main", "123456 Main St", "1 O'Neil Drive", "1\tHigh St",
    "PO BOX 12, Box Hill", "Box 5", "12 Queen St \x1c", "Aroha.Ngata@Example.co.nz", " user@EXAMPLE.org ",
    "", " ", "\t", "x",
]
POOL = "aAbBzZ09 \t\n,.-+()/@'\x01\x1cēĒōʻ\u00a0ß\u0301İ名x7O0P"
LINES = ["12 Queen Street", "12A/3 Long Lane", "9 Papapataimoko Place", "Flat 83", "RD 3", "PO Box 17",
         "P.O. Box 4411", "Private Bag 92019", "private  bag 1234567", "Locked Bag 3", "GPO Box 1", "GPOBox 1",
         "1 a b c d e", "1 a b c d",
         "123456 Main St", "12345 Main St", "7 Ōtāhuhu Road", "3 O'Neil-Smith Drive", "4\tHigh_St", "5 9th Avenue",
         "Box 5", "Auckland 8678", "  12 Queen Street  ", "1/2 X", "1/123456 X", "12,  Queen Street",
         "2 Upper Queen Street North East Side", "P.O.  Box 12", "Po\tBox 3", "\x1f12 Queen Street\x1c",
         "\x0b7 Hill Rd"]


def addresses(rng: random.Random, n: int) -> list[str]:
    """Values of one to three lines (street lines, boxes, units, towns) in any of the separators."""
    return [rng.choice(["", " ", "\t"]).join([rng.choice(["\n", ", ", ",\n", "\r\n", ",,"]).join(
        rng.choice(LINES) for _ in range(rng.randrange(1, 4)))]) for _ in range(n)]


@pytest.mark.parametrize("entity", ENTITIES)
def test_same_index_as_per_value_build(entity: str) -> None:
    rng = random.Random(entity)
    values = SAMPLES + ["".join(rng.choice(POOL) for _ in range(rng.randrange(0, 24))) for _ in range(3000)]
    values += addresses(rng, 2000)
    built, reference = KnownEntities(), KnownEntities()
    built.add(entity, values)
    reference_add(reference, entity, values)
    assert_same(built, reference)


def test_columns_in_order_keep_the_first_target() -> None:
    """A value in two columns keeps the target of the column added first, as before (batches interleave)."""
    first = ["Morgan", "Ngata", "Hēmi", "Kelly"]
    last = ["Kelly", "Morgan", "Smith", "Hēmi"]
    built, reference = KnownEntities(), KnownEntities()
    for batch in (first[:2], last[:2], first[2:], last[2:]):
        entity = "GIVEN_NAME" if batch[0] in first else "FAMILY_NAME"
        built.add(entity, pa.array(batch))
        reference_add(reference, entity, batch)
    built.add("PERSON", ["Kelly Morgan", "Hēmi Ngata"], domain="staff")
    reference_add(reference, "PERSON", ["Kelly Morgan", "Hēmi Ngata"], domain="staff")
    assert_same(built, reference)


@pytest.mark.parametrize(("entity", "array"), [
    ("NZ_IRD", pa.array([49091850, None, 0, -12345678, 123456789012], type=pa.int64())),
    ("PHONE_NUMBER", pa.array([6421555123, None, 211234567], type=pa.int64())),
    ("NZ_NHI", pa.array([datetime.date(2020, 1, 2), None, datetime.date(1999, 12, 31)], type=pa.date32())),
    ("PERSON", pa.array(["Aroha Ngata", None, "", "Hēmi Walker"], type=pa.large_string())),
    ("STREET_ADDRESS", pa.array(["12 Queen Street", None, "PO Box 17"]).dictionary_encode()),
    ("NZ_BANK_ACCOUNT", pa.chunked_array([["12-3456-7890123-00", None], ["01-0002-0012345-000"]])),
    ("NZ_IRD", pa.array([1.5, None, 1e20])),
])
def test_arrow_columns_as_their_str(entity: str, array: pa.Array | pa.ChunkedArray) -> None:
    """A column's array (NULLs, integers, dates, …) is read as ``str`` of each value, as before."""
    built, reference = KnownEntities(), KnownEntities()
    built.add(entity, array)
    reference_add(reference, entity, [str(v) for v in array.drop_null().to_pylist()])
    assert_same(built, reference)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=40), st.sampled_from(ENTITIES))
def test_same_index_on_any_text(values: list[str], entity: str) -> None:
    built, reference = KnownEntities(), KnownEntities()
    try:
        pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, UnicodeEncodeError):     # lone surrogates: no database column holds them
        return
    built.add(entity, values)
    reference_add(reference, entity, values)
    assert_same(built, reference)


def test_poly_hashes_of_arrow_strings() -> None:
    forms = ["a", "hemi ngata", "名前", "🙂x", "ē" * 600, "z" * 513, "ab\x01c"]
    array = pa.array(["skip", *forms]).slice(1)
    assert np.array_equal(kf.poly_hashes_arrow(array), kf.poly_hashes(forms))


def test_arrow_normalisers_per_value() -> None:
    """Each ASCII value's forms, one by one, are the per-value normalisers' (the index test above cannot see a
    street line's form that another value also has as a whole)."""
    rng = random.Random(7)
    values = [v for v in SAMPLES + addresses(rng, 400) + ["".join(rng.choice(POOL) for _ in range(rng.randrange(1, 24)))
                                                          for _ in range(400)] if v.isascii() and v]
    array = pa.array(values)
    assert kf._norm_names(array).to_pylist() == [kf.norm_name(v) for v in values]
    assert kf._norm_identifiers(array).to_pylist() == [kf.norm_identifier(v) for v in values]
    norm, national = kf._phone_forms(array)
    assert norm.to_pylist() == [kf.norm_phone(v) for v in values]
    assert national.to_pylist() == [kf.national_phone(v) for v in values]
    for v in values:
        assert sorted(f for f in set(kf._street_forms(pa.array([v])).to_pylist()) if f) == kf.street_forms(v), v


def test_importing_the_index_does_not_import_pandas() -> None:
    """``pa.array`` imports pandas (0.15 s): the index's constant arrays are built on first use, not at import."""
    probe = "import sys, anonymiser.detect.known; assert 'pandas' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", probe], timeout=120).returncode == 0
