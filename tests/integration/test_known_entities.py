"""Notes that quote another table's people get that table's pseudonyms, even where detection alone misses them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # one real run through the CLI

# Addresses as Faker's en_NZ writes them: a PO box, a unit line before the street, an RD line after it.
PEOPLE = [("Zygmunt Przybylak", "021 555 0101", "PO Box 17"),
          ("Oane Tjeerdsma", "022 555 0202", "Flat 83\n9 Papapataimoko Place"),
          ("Aroha Ngata", "027 555 0303", "41 Kauri Road\nRD 2")]
POLICY = """\
version: 1
tables:
  customer:
    columns:
      id: keep
      full_name: person_name
      mobile: phone
      street: street_address
  ticket:
    columns:
      id: keep
      customer_id: keep
      notes: free_text
retention_days: 35
"""


def test_notes_quoting_customers_get_their_pseudonyms(tmp_path: Path) -> None:
    src = tmp_path / "src.sqlite"
    conn = sqlite3.connect(src)
    conn.executescript("CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name TEXT, mobile TEXT, street TEXT);"
                       "CREATE TABLE ticket (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), "
                       "notes TEXT);")
    for i, (name, mobile, street) in enumerate(PEOPLE, start=1):
        conn.execute("INSERT INTO customer VALUES (?, ?, ?, ?)", (i, name, mobile, street))
        # No cue the recognizers trust ("for" + names in no gazetteer), the phone without spaces, the
        # address's street line or box alone (detection would change only a box's number, keyed).
        line = street.split("\n")[-1 if street.startswith("Flat") else 0]
        conn.execute("INSERT INTO ticket VALUES (?, ?, ?)",
                     (i, i, f"Parcel for {name} left at the depot; mobile {mobile.replace(' ', '')}. "
                            f"Redeliver to {line}."))
    conn.commit()
    conn.close()
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "out"
    result = anonymiser("--json", "run", str(policy), "--source", f"sqlite:///{src}", "--out", str(out))
    assert result.returncode == 0, result.stderr
    customers = pq.read_table(out / "parquet" / "customer.parquet").to_pylist()
    notes = {r["id"]: r["notes"] for r in pq.read_table(out / "parquet" / "ticket.parquet").to_pylist()}
    for row in customers:
        note = notes[row["id"]]
        assert row["full_name"] in note, note                               # exactly the column's pseudonym
        assert row["mobile"].replace(" ", "") in note
        name, mobile, street = PEOPLE[row["id"] - 1]
        assert name not in note and mobile.replace(" ", "") not in note
        line = street.split("\n")[-1 if street.startswith("Flat") else 0]
        assert line not in note, note
        if "\n" not in street:
            assert f"Redeliver to {row['street']}." in note, note                # the box: exactly the row's fake
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "PASS"
