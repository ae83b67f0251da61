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
