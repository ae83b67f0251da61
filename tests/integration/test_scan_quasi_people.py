"""scan → run on PostgreSQL with no edits, where the only postcodes and regions sit in tables that are no one's
records (an address table that customers reference, a film catalogue): the draft lists no quasi-identifier
there, so the run passes its own residual-risk gate (trial F39)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import sqlalchemy as sa
import yaml

from tests.cli_runner import anonymiser

FIRST = ["Aroha", "Tama", "Mere", "Wiremu", "Sophie", "James", "Olivia", "Liam", "Hemi", "Grace"]
LAST = ["Ngata", "Smith", "Williams", "Parata", "Brown", "Wilson", "Taylor", "Walker", "Tipene", "Clarke"]


def _source(url: str) -> None:
    rng = random.Random(39)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("""
            CREATE TABLE address (address_id integer PRIMARY KEY, address text NOT NULL, district text,
                                  postal_code text, phone text);
            CREATE TABLE customer (customer_id integer PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
                                   email text, address_id integer REFERENCES address(address_id));
            CREATE TABLE film (film_id integer PRIMARY KEY, title text NOT NULL, description text, country text,
                               release_year integer, rating text);
        """))
        conn.execute(sa.text("INSERT INTO address VALUES (:i, :a, :d, :p, :ph)"), [
            {"i": i, "a": f"{rng.randint(1, 400)} {rng.choice(['Queen', 'Kauri', 'Rata'])} Street",
             "d": rng.choice(["Auckland", "Waikato", "Otago"]), "p": f"{rng.randint(1000, 9999)}",
             "ph": f"021 555 {rng.randint(1000, 9999)}"} for i in range(1, 121)])
        conn.execute(sa.text("INSERT INTO customer VALUES (:i, :f, :l, :e, :i)"), [
            {"i": i, "f": rng.choice(FIRST), "l": rng.choice(LAST), "e": f"c{i}@example.co.nz"} for i in range(1, 121)])
        conn.execute(sa.text("INSERT INTO film VALUES (:i, :t, :d, :c, :y, :r)"), [
            {"i": i, "t": f"Academy Dinosaur {i}", "d": "A Epic Drama of a Feminist And a Mad Scientist",
             "c": rng.choice(["New Zealand", "Japan", "France"]), "y": 2000 + i % 20, "r": rng.choice(["G", "PG"])}
            for i in range(1, 61)])
    engine.dispose()


def test_scan_draft_passes_its_own_residual_risk_gate(pg_url: str, tmp_path: Path) -> None:
    _source(pg_url)
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    env = {"ANONYMISER_SPACY_MODEL": "blank"}
    scan = anonymiser("scan", pg_url, "--out", str(policy), env=env)
    assert scan.returncode == 0, scan.stderr[-2000:]
    drafted = yaml.safe_load(policy.read_text())
    assert drafted["quasi_identifiers"] == []
    rule = drafted["tables"]["address"]["columns"]["postal_code"]
    assert (rule if isinstance(rule, str) else rule["mask"]) == "postcode"    # masked all the same
    run = anonymiser("run", str(policy), "--source", pg_url, "--out", str(out), env=env)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    report = json.loads((out / "report" / "report.json").read_text())
    assert "k_anonymity_below_target" not in json.dumps(report)


def test_a_region_kept_two_foreign_keys_from_people_passes_the_at_risk_gate(pg_url: str, tmp_path: Path) -> None:
    """trial2: line → order → customer. scan kept line.region ("records are not people") without a reason and the
    unedited draft's run failed kept_personal_unjustified on it."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("""
            CREATE TABLE customer (customer_id integer PRIMARY KEY, full_name text, email text);
            CREATE TABLE "order" (region char(2), num integer, customer_id integer REFERENCES customer,
                                  PRIMARY KEY (region, num));
            CREATE TABLE line (region char(2), num integer, line integer, qty integer,
                               FOREIGN KEY (region, num) REFERENCES "order"(region, num));
            INSERT INTO customer VALUES (1, 'Aroha Ngata', 'aroha@example.co.nz'), (2, 'Ludo van der Berg', NULL);
            INSERT INTO "order" VALUES ('NZ', 1, 1), ('AU', 1, 2);
            INSERT INTO line VALUES ('NZ', 1, 1, 3), ('AU', 1, 1, 1);
        """))
    engine.dispose()
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    env = {"ANONYMISER_SPACY_MODEL": "blank"}
    assert anonymiser("scan", pg_url, "--out", str(policy), env=env).returncode == 0
    run = anonymiser("run", str(policy), "--source", pg_url, "--out", str(out), env=env)
    report = json.loads((out / "report" / "report.json").read_text())
    assert "kept_personal_unjustified" not in json.dumps(report), (run.stdout + run.stderr)[-3000:]
