"""Columns decided by their values whatever they are called (trial F10, F21, F22, F24): whole-cell person
names, NZ driver licence and passport numbers, identifiers inside short text, phone cells with names."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from faker import Faker

from anonymiser.detect import DetectionResult, detect_schema, draft_policy
from anonymiser.detect.shapes import name_column, name_shape, nz_document_column
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect

CATALOGUE = ["A Boring Drama of a Dentist And a Cat who must Chase a Monkey in Ancient China",
             "A Fateful Yarn of a Womanizer And a Feminist who must Succumb a Database Administrator in Ancient India",
             "An Epic Reflection of a Robot And a Pioneer who must Outrace a Sumo Wrestler in The Gulf of Mexico"]
PRODUCTS = ["Chai", "Chang", "Aniseed Syrup", "Chef Anton's Cajun Seasoning", "Grandma's Boysenberry Spread",
            "Uncle Bob's Organic Dried Pears", "Northwoods Cranberry Sauce", "Mishi Kobe Niku", "Ikura",
            "Queso Cabrales", "Queso Manchego La Pastora", "Konbu", "Tofu", "Genen Shouyu", "Pavlova",
            "Alice Mutton", "Carnarvon Tigers", "Teatime Chocolate Biscuits", "Sir Rodney's Marmalade",
            "Sir Rodney's Scones", "Gustaf's Knäckebröd", "Tunnbröd", "Guaraná Fantástica", "NuNuCa Nuß-Nougat-Creme"]
CITIES = ["Auckland", "Wellington", "Christchurch", "Hamilton", "Tauranga", "Napier", "Dunedin", "Palmerston North",
          "Nelson", "Rotorua", "New Plymouth", "Whangārei", "Invercargill", "Whanganui", "Gisborne", "Timaru"]
MĀORI = ["Aroha Ngata", "Hemi Tipene", "Mere Parata", "Tama Walker", "Te Aorere Te Whata", "Wiremu Tuhoe",
         "Anahera Rangitauira", "Rawiri Waaka", "Kiri Te Kanawa", "Ngaio Marsh"]


def full_names(n: int, seed: int = 7) -> list[str]:
    fakers = [Faker(loc) for loc in ("en_NZ", "en_GB", "fr_FR", "de_DE", "nl_NL", "es_ES")]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    rng = random.Random(seed)
    names = {rng.choice(MĀORI) if rng.random() < 0.15 else f"{(f := rng.choice(fakers)).first_name()} {f.last_name()}"
             for _ in range(n * 2)}
    return sorted(names)[:n]


@pytest.mark.parametrize(("value", "shape"), [
    ("Aroha Ngata", "full"), ("aroha ngata", "full"), ("AROHA NGATA", "full"), ("Ngata, Aroha", "full"),
    ("Ludo van der Berg", "full"), ("Anne-Marie Dupont", "full"), ("Kiri Te Kanawa", "loose"),
    ("Aroha", "given"), ("Aroha 2", None), ("aroha@example.com", None), ("Mrs Smith", None),
    ("Hamilton", None), ("A Boring Drama", None), ("Chef Anton's Cajun Seasoning", None), ("Classic Rock", None),
])
def test_name_shape(value: str, shape: str | None) -> None:
    assert name_shape(value) == shape


def test_columns_of_names_in_any_case_are_names() -> None:
    names = full_names(200)
    for values in (names, [v.lower() for v in names], [v.upper() for v in names]):
        found = name_column(values)
        assert found is not None and found.strategy == "person_name" and found.rate >= 0.9
        assert all(v not in found.evidence for v in values)             # counts only, never a value
    assert name_column([n.split()[0] for n in names if not n.startswith("Te ")]).strategy == "first_name"  # type: ignore[union-attr]


@pytest.mark.parametrize("values", [CATALOGUE * 5, PRODUCTS, CITIES, [f"Category {i}" for i in range(30)],
                                    ["Gold", "Silver", "Bronze", "Platinum", "Basic"] * 3],
                         ids=["catalogue", "products", "cities", "categories", "tiers"])
def test_catalogue_products_and_places_are_not_names(values: list[str]) -> None:
    assert name_column(values) is None


def licences(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice('ABCDEFGHIJK')}{rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{rng.randint(0, 999999):06d}"
            for _ in range(n)]


def test_nz_document_shapes_need_a_near_full_share_and_people_or_spread_prefixes() -> None:
    found = nz_document_column(licences(100), about_people=False)         # spread prefixes alone suffice
    assert found is not None and found[0] == "NZ_DRIVER_LICENCE" and found[1] == 1.0
    rng = random.Random(1)
    codes = [f"{rng.choice(['AB', 'XK', 'PR'])}{rng.randint(0, 999999):06d}" for _ in range(100)]
    assert nz_document_column(codes, about_people=False) is None           # product codes: three prefixes
    assert nz_document_column(codes, about_people=True) is not None        # ... in a table about people
    mixed = licences(90) + [f"SKU-{i}" for i in range(10)]
    assert nz_document_column(mixed, about_people=True) is None            # 90% is not "all"
    passports = [f"{rng.choice(['LA', 'LD', 'LF', 'LH', 'EA'])}{rng.randint(0, 999999):06d}" for _ in range(50)]
    assert nz_document_column(passports, about_people=True)[0] == "NZ_PASSPORT"   # type: ignore[index]
    assert nz_document_column(passports, about_people=False) is None       # five prefixes, no people


def build(path: Path) -> str:
    rng = random.Random(21)
    names = full_names(120)
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE deal (id INTEGER PRIMARY KEY, customer TEXT, holder TEXT, nm TEXT, contact_person TEXT,
                           signed_by TEXT, created_by TEXT, assigned_to TEXT, amount REAL);
        CREATE TABLE audit_log (ts, who, what);
        CREATE TABLE patient (id INTEGER PRIMARY KEY, lic TEXT, travel_doc TEXT, phone TEXT);
        CREATE TABLE product (id INTEGER PRIMARY KEY, code TEXT, title TEXT, blurb TEXT, made_in TEXT);
        CREATE TABLE account (id INTEGER PRIMARY KEY, tags JSON, prefs JSON, legacy TEXT);
    """)
    for i in range(120):
        pick = [names[(i * k) % len(names)] for k in (1, 7, 11, 13, 17, 19, 23)]
        conn.execute("INSERT INTO deal VALUES (?,?,?,?,?,?,?,?,?)", (i, *pick, rng.random()))
        conn.execute("INSERT INTO audit_log VALUES (?,?,?)",          # who: a few integers among the names
                     (f"2024-01-01 10:{i % 60:02d}", i if i % 40 == 0 else names[i], f"login from 10.1.{i % 7}.{i}"))
        phone = f"021 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        phone += f" (ask for {names[i].split()[0]})" if i % 4 == 0 else ""
        conn.execute("INSERT INTO patient VALUES (?,?,?,?)",
                     (i, licences(120)[i], f"{rng.choice(['LA', 'LD', 'LH'])}{rng.randint(0, 999999):06d}", phone))
        conn.execute("INSERT INTO product VALUES (?,?,?,?,?)",
                     (i, f"{rng.choice(['AB', 'XK', 'PR'])}{rng.randint(0, 999999):06d}", PRODUCTS[i % len(PRODUCTS)],
                      CATALOGUE[i % 3] + f" (take {i})", CITIES[i % len(CITIES)]))
        given, family = names[i].split(" ", 1)
        tags = {"contact": {"email": f"{given}.{family}{i}@example.co.nz".lower().replace(" ", ""),
                            "name": names[i]}, "tier": rng.choice(["gold", "silver"]), "score": i}
        legacy = "not json" if i % 3 == 0 else json.dumps({"emails": [tags["contact"]["email"]]})  # type: ignore[index]
        conn.execute("INSERT INTO account VALUES (?,?,?,?)",
                     (i, json.dumps(tags), json.dumps({"theme": rng.choice(["dark", "light"]), "items": [i, 2]}),
                      legacy))
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, DetectionResult]:
    url = build(tmp_path_factory.mktemp("values") / "src.sqlite")
    with connect(url) as conn:
        schema = introspect(conn)
        return schema, detect_schema(conn, schema, sample=200, model="blank")


@pytest.mark.parametrize(("table", "column", "entity", "mask"), [
    ("deal", "customer", "PERSON", "person_name"),
    ("deal", "holder", "PERSON", "person_name"),
    ("deal", "nm", "PERSON", "person_name"),
    ("deal", "contact_person", "PERSON", "person_name"),
    ("deal", "signed_by", "PERSON", "person_name"),
    ("deal", "created_by", "PERSON", "person_name"),        # a USERNAME name rule, but the values are names
    ("deal", "assigned_to", "PERSON", "person_name"),
    ("audit_log", "who", "PERSON", "person_name"),         # untyped SQLite column (F10)
    ("audit_log", "what", "IP_ADDRESS", "free_text"),      # IPs inside short text (F10)
    ("patient", "lic", "NZ_DRIVER_LICENCE", "nz_driver_licence"),   # F22
    ("patient", "travel_doc", "NZ_PASSPORT", "nz_passport"),
    ("patient", "phone", "PHONE_NUMBER", "free_text"),     # names beside numbers (F24)
], ids=lambda v: str(v))
def test_personal_columns_found_by_value(scanned: tuple[object, DetectionResult], table: str, column: str,
                                        entity: str, mask: str) -> None:
    _, result = scanned
    finding = next(f for f in result.findings if (f.table, f.column) == (table, column))
    assert (finding.entity, finding.rule.mask) == (entity, mask), finding
    assert finding.note and "sampled" in finding.note                  # the evidence is in the comment


@pytest.mark.parametrize("column", ["code", "title", "blurb", "made_in"])
def test_product_codes_titles_prose_and_cities_stay_kept(scanned: tuple[object, DetectionResult],
                                                          column: str) -> None:
    _, result = scanned
    finding = next(f for f in result.findings if (f.table, f.column) == ("product", column))
    assert finding.rule.mask == "keep", finding


def test_json_documents_get_json_paths(scanned: tuple[object, DetectionResult]) -> None:
    """F10: e-mails and names inside JSON are drafted as ``json`` with the paths found; other JSON is kept."""
    _, result = scanned
    tags = next(f for f in result.findings if (f.table, f.column) == ("account", "tags"))
    assert tags.rule.mask == "json", tags
    assert tags.rule.options["json_paths"] == {"$.contact.email": "email", "$.contact.name": "person_name"}
    assert tags.note and "$.contact.email EMAIL_ADDRESS 100%" in tags.note
    prefs = next(f for f in result.findings if (f.table, f.column) == ("account", "prefs"))
    assert prefs.rule.mask == "keep", prefs
    # JSON in a text column, a third of the cells not JSON: blanked by 'invalid: null', said in the comment.
    legacy = next(f for f in result.findings if (f.table, f.column) == ("account", "legacy"))
    assert legacy.rule.to_yaml() == {"mask": "json", "json_paths": {"$.emails[*]": "email"}, "invalid": "null"}
    assert legacy.note and "not JSON: blanked (invalid: null)" in legacy.note


def test_draft_shows_the_evidence_and_no_value(scanned: tuple[object, DetectionResult]) -> None:
    schema, result = scanned
    text = draft_policy(schema, result)  # type: ignore[arg-type]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("holder:"))
    assert "person_name" in line and "known given + family names" in line
    assert not any(name in text for name in full_names(120))


def test_a_notes_column_with_one_named_person_among_few_cells_is_free_text(tmp_path: Path) -> None:
    """trial2: 'note' with 2 non-null cells, one naming a person, was drafted keep (verify then PASSed with the
    name in the output). A column named as notes needs one such cell (prose by shape still needs two)."""
    src = tmp_path / "lines.sqlite"
    with sqlite3.connect(src) as conn:
        conn.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, note TEXT)")
        texts = ["Spoke with Hemi Walker about the delivery, he was unhappy", "orphan line"]
        conn.executemany("INSERT INTO line VALUES (?,?)", list(enumerate(texts)))
    conn.close()
    with connect(f"sqlite:///{src}") as conn:
        result = detect_schema(conn, introspect(conn), sample=200, model="blank")
    finding = next(f for f in result.findings if f.column == "note")
    assert finding.rule.mask == "free_text", finding
