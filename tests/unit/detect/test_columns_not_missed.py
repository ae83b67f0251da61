"""Columns scan must not miss: credentials, binary personal data, user names; free text needs evidence."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest

from anonymiser.detect import DetectionResult, detect_schema, draft_policy
from anonymiser.detect.classify import suggest_rule
from anonymiser.schema import ColumnInfo, ColumnKind, TableInfo
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
PDF = b"%PDF-1.7\n" + bytes(100)
GIVEN = ["aroha", "james", "mere", "sione", "olivia", "liam", "hemi", "grace", "tama", "sophie"]
FAMILY = ["ngata", "smith", "parata", "taufa", "brown", "walker", "tipene", "wilson", "clarke", "king"]
CATALOGUE = ["A Boring Drama of a Dentist And a Cat who must Chase a Monkey in Ancient China",
             "A Fateful Yarn of a Womanizer And a Feminist who must Succumb a Database Administrator in Ancient India",
             "An Epic Reflection of a Robot And a Pioneer who must Outrace a Sumo Wrestler in The Gulf of Mexico",
             "A Touching Panorama of a Lumberjack And a Crocodile who must Battle a Teacher in A Shark Tank"]


def build(path: Path) -> str:
    rng = random.Random(12)
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE staff (id INTEGER PRIMARY KEY, full_name TEXT, password TEXT NOT NULL, api_token TEXT,
                            picture BLOB, username TEXT);
        CREATE TABLE "order" (id INTEGER PRIMARY KEY, "user" TEXT, total REAL);
        CREATE TABLE account (id INTEGER PRIMARY KEY, ref_a TEXT, ref_b TEXT, ref_c TEXT, blob_a BLOB);
        CREATE TABLE category (id INTEGER PRIMARY KEY, name TEXT, picture BLOB);
        CREATE TABLE film (id INTEGER PRIMARY KEY, title TEXT, description TEXT);
        CREATE TABLE ticket (id INTEGER PRIMARY KEY, notes TEXT);
    """)
    for i in range(60):
        g, f = rng.choice(GIVEN), rng.choice(FAMILY)
        login = rng.choice([f"{g[0]}{f}{rng.randint(1, 99)}", f"{g}.{f}", f"{g}_{f[0]}", f"{g}{rng.randint(1, 999)}"])
        bcrypt = "$2b$12$" + "".join(rng.choice("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                                     for _ in range(53))
        conn.execute("INSERT INTO staff VALUES (?,?,?,?,?,?)",
                     (i, f"{g.title()} {f.title()}", bcrypt, f"tok_{rng.getrandbits(64):x}", JPEG, login))
        conn.execute('INSERT INTO "order" VALUES (?,?,?)', (i, login, rng.random() * 100))
        conn.execute("INSERT INTO account VALUES (?,?,?,?,?)",
                     (i, hashlib.sha256(str(i).encode()).hexdigest(), f"$argon2id$v=19$m=65536,t=3,p=4$"
                      f"c2FsdHNhbHQ{i}$aGFzaGhhc2hoYXNoaGFzaA{i}", login, PNG if i % 2 else PDF))
        conn.execute("INSERT INTO category VALUES (?,?,?)", (i, f"Category {i}", b"\x15\x1c/\x00OLE" + bytes(50)))
        conn.execute("INSERT INTO film VALUES (?,?,?)", (i, f"FILM {i}", CATALOGUE[i % 4] + f" (take {i})"))
        note = (f"Spoke with {g.title()} {f.title()} about the refund; call back on 021 555 {1000 + i}."
                if i % 3 == 0 else f"Parcel {i} delayed at the depot, customer informed.")
        conn.execute("INSERT INTO ticket VALUES (?,?)", (i, note))
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, DetectionResult]:
    url = build(tmp_path_factory.mktemp("missed") / "src.sqlite")
    with connect(url) as conn:
        schema = introspect(conn)
        return schema, detect_schema(conn, schema, sample=200, model="blank")


@pytest.mark.parametrize(("table", "column", "entity", "mask"), [
    ("staff", "password", "CREDENTIAL", "hash"),           # NOT NULL: a keyed hash, not null
    ("staff", "api_token", "CREDENTIAL", "null"),
    ("staff", "picture", "PHOTO", "null"),                 # generic name in a table about people
    ("staff", "username", "USERNAME", "username"),
    ("order", "user", "USERNAME", "username"),             # by name
    ("account", "ref_a", "CREDENTIAL", "null"),            # sha-256 hex digests, by value
    ("account", "ref_b", "CREDENTIAL", "null"),            # argon2, by value
    ("account", "ref_c", "USERNAME", "username"),          # logins built from names, by value
    ("account", "blob_a", "PHOTO", "null"),                # PNG and PDF magic bytes, by value
], ids=lambda v: str(v))
def test_personal_columns_are_masked_by_default(scanned: tuple[object, DetectionResult], table: str, column: str,
                                                entity: str, mask: str) -> None:
    f = scanned[1].finding(table, column)
    assert (f.entity, f.rule.mask, f.classification) == (entity, mask, "direct_identifier")


@pytest.mark.parametrize(("table", "column"), [("category", "picture"), ("film", "description")],
                         ids=["category-picture-ole", "catalogue-prose"])
def test_non_personal_columns_stay_kept(scanned: tuple[object, DetectionResult], table: str, column: str) -> None:
    f = scanned[1].finding(table, column)
    assert (f.classification, f.rule.mask) == ("not_personal", "keep")


def test_free_text_draft_shows_its_evidence(scanned: tuple[object, DetectionResult]) -> None:
    schema, result = scanned
    f = result.finding("ticket", "notes")
    assert f.rule.mask == "free_text" and f.free_text
    assert f.note and "of 60 sampled cells name a person or hold contact details" in f.note and "PERSON" in f.note
    film = result.finding("film", "description")
    assert film.note and "no person or contact detail" in film.note
    text = draft_policy(schema, result)  # type: ignore[arg-type]
    assert "sampled cells name a person" in text
    assert "Aroha" not in text and "$2b$" not in text                       # evidence, never values


@pytest.mark.parametrize(("table", "column", "kind", "nullable", "mask"), [
    ("users", "password_hash", "string", False, "hash"),
    ("users", "salt", "string", True, "null"),
    ("users", "otp_secret", "string", True, "null"),
    ("users", "login", "string", True, "username"),
    ("orders", "created_by", "string", True, "username"),
    ("employees", "photo", "binary", True, "null"),
    ("employees", "signature", "binary", False, "redact"),
    ("products", "image", "binary", True, "keep"),
], ids=lambda v: str(v))
def test_rules_from_names_alone(table: str, column: str, kind: ColumnKind, nullable: bool, mask: str) -> None:
    col = ColumnInfo(name=column, kind=kind, sql_type="X", nullable=nullable)
    assert suggest_rule(TableInfo(name=table, columns=(col,)), col).mask == mask
