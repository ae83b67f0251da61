"""trial2: a messy PostgreSQL contact schema through the real CLI: several numbers in one VARCHAR phone
cell (F24), names with particles in full-name and first/last-name columns, scan → run → load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import phonenumbers
import pytest
import sqlalchemy as sa

from anonymiser.source.connect import normalise_url
from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # real runs through the CLI

@contextmanager
def run_and_load(policy: Path, pg_url: str, out: Path) -> Iterator[sa.Connection]:
    """run POLICY → SQL dump, load it into a fresh PostgreSQL database, and a connection (in a transaction) to it."""
    run = anonymiser("run", str(policy), "--source", pg_url, "--out", str(out), "--format", "sql",
                     "--dialect", "postgresql")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    with dbs.postgres_database() as target:
        load = anonymiser("load", str(out), "--target", target)
        assert load.returncode == 0, (load.stdout + load.stderr)[-3000:]
        engine = sa.create_engine(normalise_url(target))
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()


ROWS = [  # given, family, display, phone varchar(30), short varchar(10)
    ("Ludo", "van der Berg", "Ludo van der Berg", "021 555 1234 / 09 555 1234", "0215551234"),
    ("Seán", "Ó Briain", "Seán Ó Briain", "09 555 1234 ext 42", "09 5551234"),
    ("Te Aorere", "Te Whata", "Te Aorere Te Whata", "(04) 555 6789 x12", "021555 123"),
    ("Mere", "Ngata", "Mere Ngata", "0275551234, 0215559876", "02155/1234"),
]


def test_several_numbers_and_particles_pg(tmp_path: Path, pg_url: str) -> None:
    engine = sa.create_engine(normalise_url(pg_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE client (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                             "given_name varchar(60) NOT NULL, family_name varchar(60) NOT NULL, display_name text, "
                             "phone varchar(30) NOT NULL, short_phone varchar(10) NOT NULL)")
        conn.execute(sa.text("INSERT INTO client (given_name, family_name, display_name, phone, short_phone) "
                             "VALUES (:g, :f, :d, :p, :s)"),
                     [dict(zip("gfdps", r, strict=True)) for r in ROWS])
    engine.dispose()
    policy, out = tmp_path / "p.yaml", tmp_path / "out"
    policy.write_text("version: 1\ntables:\n  client:\n    columns:\n      id: keep\n      given_name: first_name\n"
                      "      family_name: last_name\n      display_name: person_name\n      phone: phone\n"
                      "      short_phone: phone\n", "utf-8")
    with run_and_load(policy, pg_url, out) as conn:
        got = conn.execute(sa.text("SELECT given_name, family_name, display_name, phone, short_phone "
                                   "FROM client ORDER BY id")).all()
    for (given, family, display, phone, short), source in zip(got, ROWS, strict=True):
        assert display == f"{given} {family}"                       # particles: one family name
        assert len(phone) == len(source[3]) and len(short) <= 10
        assert phone != source[3] and short != source[4]
    numbers = [n for n in (*got[0][3].split(" / "), got[1][3][:11], got[2][3][:13], *got[3][3].split(", "))]
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(n, "NZ")) for n in numbers), numbers
    assert got[0][3].split(" / ")[1] == got[1][3][:11]             # the same number, the same fake


def test_loaded_counters_continue_from_the_source_counters_pg(tmp_path: Path, pg_url: str) -> None:
    """F35: serial and identity counters of the loaded copy continue where the source's do, not after the
    largest loaded key (a subset, deleted rows); a counter below the loaded keys still moves past them."""
    engine = sa.create_engine(normalise_url(pg_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE staff (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text); "
                             "CREATE TABLE note (id serial PRIMARY KEY, staff_id int REFERENCES staff, body text); "
                             "CREATE TABLE tag (id serial PRIMARY KEY, label text); "
                             "INSERT INTO staff (email) SELECT 's' || i || '@x.nz' FROM generate_series(1, 5) i; "
                             "DELETE FROM staff WHERE id = 5; "
                             "INSERT INTO note (staff_id, body) VALUES (1, 'hello'), (2, 'again'); "
                             "SELECT setval('note_id_seq', 900); "
                             "INSERT INTO tag (id, label) VALUES (40, 'manual')")
    engine.dispose()
    policy, out = tmp_path / "p.yaml", tmp_path / "out"
    policy.write_text("version: 1\ntables:\n  staff:\n    columns:\n      id: keep\n      email: email\n"
                      "  note:\n    columns:\n      id: keep\n      staff_id: keep\n      body: redact\n"
                      "  tag:\n    columns:\n      id: keep\n      label: keep\n", "utf-8")
    with run_and_load(policy, pg_url, out) as conn:
        staff = conn.exec_driver_sql("INSERT INTO staff (email) VALUES ('n@x.nz') RETURNING id").scalar_one()
        note = conn.exec_driver_sql("INSERT INTO note (body) VALUES ('n') RETURNING id").scalar_one()
        tag = conn.exec_driver_sql("INSERT INTO tag (label) VALUES ('n') RETURNING id").scalar_one()
    assert (staff, note, tag) == (6, 901, 41)
