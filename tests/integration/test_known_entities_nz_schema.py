"""A realistic NZ support schema: notes quote other tables' people (staff, delivery recipients, customers)
in the layouts people type, often with no cue a recognizer trusts. Verification's "inside free text" leak
count must be 0 and the run PASS (issue 12 item 2)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from faker import Faker

from anonymiser.identifiers import nz
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # one real run through the CLI

MAORI = [("Aroha", "Ngata"), ("Hēmi", "Parata"), ("Mere", "Te Whata"), ("Wiremu", "Tipene"), ("Ngaio", "Rewiti"),
         ("Rāwiri", "Horomona"), ("Anahera", "Te Rangi"), ("Sione", "Taufa"), ("Losa", "Fonoti"), ("Tevita", "Fifita")]
POLICY = """\
version: 1
tables:
  staff:
    columns:
      id: keep
      full_name: person_name
      email: email
      phone: phone
  customer:
    columns:
      id: keep
      first_name: first_name
      last_name: last_name
      email: email
      mobile: phone
      street_address: street_address
      ird_number: nz_ird
  orders:
    columns:
      id: keep
      customer_id: keep
      recipient_name: person_name
      recipient_phone: phone
      delivery_address: address
  support_note:
    columns:
      id: keep
      customer_id: keep
      staff_id: keep
      order_id: keep
      body: free_text
retention_days: 35
"""
SCHEMA = """
CREATE TABLE staff (id INTEGER PRIMARY KEY, full_name TEXT, email TEXT, phone TEXT);
CREATE TABLE customer (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, mobile TEXT,
                       street_address TEXT, ird_number TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), recipient_name TEXT,
                     recipient_phone TEXT, delivery_address TEXT);
CREATE TABLE support_note (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id),
                           staff_id INTEGER REFERENCES staff(id), order_id INTEGER REFERENCES orders(id), body TEXT);
"""


def _mobile(rng: random.Random) -> str:
    return f"02{rng.choice('1279')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _ird(rng: random.Random) -> str:
    while True:
        base = f"{rng.randrange(nz.IRD_MIN // 10, nz.IRD_MAX // 10):08d}"
        check = nz.ird_check_digit(base)
        if check is not None:
            digits = f"{base}{check}"
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _person(rng: random.Random, fake: Faker) -> tuple[str, str]:
    return rng.choice(MAORI) if rng.random() < 0.3 else (fake.first_name(), fake.last_name())


def _relayout(phone: str, rng: random.Random) -> str:
    digits = phone.replace(" ", "")
    return rng.choice([digits, f"+64 {digits[1:3]} {digits[3:6]} {digits[6:]}",
                       f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"])


def _build(path: Path, seed: int = 12) -> None:
    rng, fake = random.Random(seed), Faker("en_NZ")
    fake.seed_instance(seed)
    staff, customers, orders, notes = [], [], [], []
    for i in range(1, 21):
        first, last = _person(rng, fake)
        staff.append((i, f"{first} {last}", f"{first.lower()}.{last.lower().replace(' ', '')}@kiwigoods.co.nz",
                      _mobile(rng)))
    for i in range(1, 151):
        first, last = _person(rng, fake)
        customers.append((i, first, last, f"{first.lower()}{i}@example.co.nz", _mobile(rng), fake.street_address(),
                          _ird(rng)))
    for i in range(1, 301):
        first, last = _person(rng, fake)
        orders.append((i, rng.randint(1, 150), f"{first} {last}", _mobile(rng),
                       f"{fake.street_address().replace(chr(10), ', ')}, {fake.city()} {fake.postcode()}"))
    for i in range(1, 401):
        order = rng.choice(orders)
        customer = customers[order[1] - 1]
        member = rng.choice(staff)
        recipient, recipient_first = order[2], order[2].split(" ")[0]
        body = rng.choice([
            f"Parcel for {recipient} left at the depot; call {_relayout(order[3], rng)} to rebook.",
            f"{member[1]} rang {recipient} on {order[3].replace(' ', '')}. {recipient_first} will collect.",
            f"Escalated by {member[1].split(' ')[0]} to {member[1]} ({member[2]}); ph {member[3]}.",
            f"Customer {customer[1]} {customer[2]} ({customer[3]}) asked to deliver to "
            f"{customer[5].split(chr(10))[-1]}.",
            f"IRD {customer[6].replace('-', '')} verified for {customer[1]} {customer[2]}; mobile {customer[4]}.",
            f"Delivery to {recipient} at {order[4]} failed twice.",
            "Parcel returned to sender; no action needed.",
        ])
        notes.append((i, customer[0], member[0], order[0], body))
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO staff VALUES (?, ?, ?, ?)", staff)
    conn.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?)", customers)
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
    conn.executemany("INSERT INTO support_note VALUES (?, ?, ?, ?, ?)", notes)
    conn.commit()
    conn.close()


def test_notes_quoting_other_tables_people_leak_nothing(tmp_path: Path) -> None:
    source = tmp_path / "support.sqlite"
    _build(source)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "out"
    result = anonymiser("--json", "run", str(policy), "--source", f"sqlite:///{source}", "--out", str(out),
                        env={"ANONYMISER_SPACY_MODEL": "blank"})   # the default install: no model
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    scan = report["verification"]["leak_scan"]
    in_free_text = [h for h in scan["hits"] if h["in_free_text"] and h["kind"] in ("leak", "unchanged")]
    assert in_free_text == [], in_free_text
    assert scan["leaks"] == 0 and scan["unchanged"] == 0
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert report["verdict"] == "PASS"
