"""Classification from names + sampled values, key propagation, and the drafted policy."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
import yaml

from anonymiser.detect import DetectionResult, detect_schema, draft_policy
from anonymiser.identifiers import nz
from anonymiser.policy.model import Policy
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect

FIRST = ["Aroha", "Tama", "Mere", "Wiremu", "Sophie", "James", "Olivia", "Liam", "Hemi", "Grace"]
LAST = ["Ngata", "Smith", "Williams", "Parata", "Brown", "Wilson", "Taylor", "Walker", "Tipene", "Clarke"]


def _ird(rng: random.Random) -> str:
    while True:
        base = f"{rng.randint(10_000_000, 14_999_999) // 10:08d}"
        check = nz.ird_check_digit(base)
        if check is not None:
            return base + str(check)


def build(path: Path) -> tuple[str, set[str]]:
    rng = random.Random(4)
    rows, values = [], set()
    for i in range(60):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{i}@example.co.nz"
        ird = _ird(rng)
        note = f"{first} {last} rang about the invoice; call back on 021 555 {1000 + i} or email {email}."
        rows.append((i + 1, f"{first} {last}", email, ird, f"{rng.randint(0, 99999):05d}", note,
                     rng.choice(["gold", "silver"])))
        values.update({f"{first} {last}", email, ird, note})
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name TEXT, contact TEXT, ref_a TEXT,
                                   misc_code TEXT, notes TEXT, tier TEXT);
            CREATE TABLE ticket (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), body TEXT);
            CREATE TABLE user_account (email TEXT PRIMARY KEY, created TEXT);
            CREATE TABLE login_event (id INTEGER PRIMARY KEY, email TEXT REFERENCES user_account(email));
            CREATE TABLE "Order Details" ("yes" TEXT, "OrderID" INTEGER);
        """)
        conn.executemany("INSERT INTO customer VALUES (?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO ticket VALUES (?,?,?)", [(i, i, "Parcel never arrived, please resend.")
                                                               for i in range(1, 30)])
        conn.executemany("INSERT INTO user_account VALUES (?, '2024')", [(r[2],) for r in rows])
        conn.executemany("INSERT INTO login_event VALUES (?, ?)", [(i, r[2]) for i, r in enumerate(rows)])
    conn.close()
    return f"sqlite:///{path}", values


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, DetectionResult, set[str]]:
    url, values = build(tmp_path_factory.mktemp("classify") / "src.sqlite")
    with connect(url) as conn:
        schema = introspect(conn)
        result = detect_schema(conn, schema, sample=200, model="blank")
    return schema, result, values


@pytest.mark.parametrize(("table", "column", "classification", "entity", "detector", "mask"), [
    ("customer", "id", "not_personal", None, "type", "keep"),
    ("customer", "full_name", "direct_identifier", "PERSON", "column_name", "person_name"),
    ("customer", "contact", "direct_identifier", "EMAIL_ADDRESS", "presidio:EmailRecognizer", "email"),
    ("customer", "ref_a", "direct_identifier", "NZ_IRD", "nz:NzIrdRecognizer", "nz_ird"),
    ("customer", "misc_code", "not_personal", None, "type", "keep"),
    ("customer", "notes", "direct_identifier", None, None, "free_text"),
    ("customer", "tier", "not_personal", None, "type", "keep"),
    ("ticket", "customer_id", "not_personal", None, "type", "keep"),
    # Prose with nobody in it ("Parcel never arrived, please resend.") is kept: free_text needs evidence.
    ("ticket", "body", "not_personal", None, "type", "keep"),
    ("user_account", "email", "direct_identifier", "EMAIL_ADDRESS", "column_name", "email"),
    ("login_event", "email", "direct_identifier", "EMAIL_ADDRESS", "column_name", "email"),
], ids=lambda v: str(v))
def test_classification(scanned: tuple[object, DetectionResult, set[str]], table: str, column: str,
                        classification: str, entity: str | None, detector: str | None, mask: str) -> None:
    f = scanned[1].finding(table, column)
    assert (f.classification, f.rule.mask) == (classification, mask)
    if entity is not None:
        assert f.entity == entity
    if detector is not None:
        assert f.detector == detector
    if f.rule.mask not in ("keep",) and f.sampled:
        assert f.hit_rate is not None


def test_value_evidence_is_counted(scanned: tuple[object, DetectionResult, set[str]]) -> None:
    f = scanned[1].finding("customer", "ref_a")
    assert f.sampled == 60 and f.hit_rate == 1.0 and f.score == 0.7
    notes = scanned[1].finding("customer", "notes")
    assert notes.free_text and notes.hit_rate and notes.hit_rate > 0.9


def test_foreign_key_takes_the_referenced_rule(scanned: tuple[object, DetectionResult, set[str]]) -> None:
    child = scanned[1].finding("login_event", "email")
    parent = scanned[1].finding("user_account", "email")
    assert child.rule == parent.rule and child.note and "user_account.email" in child.note


def test_draft_is_a_complete_valid_policy_without_values(scanned: tuple[object, DetectionResult, set[str]]) -> None:
    schema, result, values = scanned
    text = draft_policy(schema, result, source_hint="sqlite:///src.sqlite")  # type: ignore[arg-type]
    policy = Policy.model_validate(yaml.safe_load(text))
    assert policy.source == "${ANONYMISER_SOURCE_URL}"
    for name, table in schema.tables.items():  # type: ignore[attr-defined]
        assert set(policy.tables[name].columns) == set(table.column_names)
    assert policy.tables["Order Details"].columns["yes"].mask == "keep"
    assert policy.tables["customer"].columns["notes"].mask == "free_text"
    assert [v for v in values if v in text] == []
    assert "hit rate 100% of 60 sampled" in text and "nz:NzIrdRecognizer" in text


def test_quasi_identifiers_are_proposed() -> None:
    from anonymiser.detect.model import ColumnFinding
    from anonymiser.policy.model import ColumnRule
    from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo

    cols = (ColumnInfo(name="dob", kind="date", sql_type="DATE"), ColumnInfo(name="salary", kind="integer",
                                                                              sql_type="INT"))
    schema = SchemaInfo(dialect="sqlite", tables={"person": TableInfo(name="person", columns=cols)})
    findings = [
        ColumnFinding(table="person", column="dob", kind="date", classification="quasi_identifier",
                      rule=ColumnRule(mask="date_shift", options={"max_days": 180})),
        ColumnFinding(table="person", column="salary", kind="integer", classification="sensitive",
                      rule=ColumnRule(mask="noise")),
    ]
    policy = Policy.model_validate(yaml.safe_load(draft_policy(schema, DetectionResult(findings=findings))))
    assert policy.quasi_identifiers == ["person.dob"] and policy.sensitive_attributes == ["person.salary"]
    assert policy.tables["person"].columns["dob"].options == {"max_days": 180}


def test_quasi_identifiers_only_where_people_are(tmp_path: Path) -> None:
    # Trial F39: a postcode in a table of addresses that customers reference, a country in a film catalogue
    # are measured per table on records that are no one; the people's own (and their orders') are listed.
    path = tmp_path / "shop.sqlite"
    rng = random.Random(39)
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE address (address_id INTEGER PRIMARY KEY, address TEXT, district TEXT, postal_code TEXT);
            CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT,
                                   postcode TEXT, address_id INTEGER REFERENCES address(address_id));
            CREATE TABLE rental (rental_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(customer_id),
                                 delivery_postcode TEXT);
            CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, country TEXT, release_year INTEGER);
        """)
        conn.executemany("INSERT INTO address VALUES (?,?,?,?)", [
            (i, f"{i} Queen Street", "Auckland", f"{rng.randint(1000, 9999)}") for i in range(1, 41)])
        conn.executemany("INSERT INTO customer VALUES (?,?,?,?,?,?)", [
            (i, rng.choice(FIRST), rng.choice(LAST), f"c{i}@example.co.nz", f"{rng.randint(1000, 9999)}", i)
            for i in range(1, 41)])
        conn.executemany("INSERT INTO rental VALUES (?,?,?)", [(i, i, f"{rng.randint(1000, 9999)}")
                                                               for i in range(1, 41)])
        conn.executemany("INSERT INTO film VALUES (?,?,?,?)", [(i, f"Film {i}", "New Zealand", 2000 + i % 20)
                                                               for i in range(1, 41)])
    conn.close()
    with connect(f"sqlite:///{path}") as conn:
        schema = introspect(conn)
        result = detect_schema(conn, schema, sample=50, model="blank")
    found = {(f.table, f.column): f for f in result.findings}
    assert {k for k, f in found.items() if f.classification == "quasi_identifier"} == {
        ("customer", "postcode"), ("rental", "delivery_postcode")}
    assert found[("address", "postal_code")].rule.mask == "postcode"      # still masked, not listed
    assert found[("address", "district")].rule.mask == "keep" and not found[("address", "district")].rule.reason
    assert "not people" in (found[("address", "postal_code")].note or "")
    assert found[("film", "country")].classification == "not_personal"
    policy = Policy.model_validate(yaml.safe_load(draft_policy(schema, result)))
    assert sorted(policy.quasi_identifiers) == ["customer.postcode", "rental.delivery_postcode"]
