"""A hand-built source database and masked output (Parquet + Manifest) for verify/report tests.

The "masking" here is deliberately simple and independent of anonymiser.mask: rotations through
the same small name lists (so fake first names coincide with real ones, as they do in real runs),
re-numbered identifiers, shifted dates. Faults are seeded with keyword arguments.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from anonymiser.detect.model import ColumnFinding, DetectionResult
from anonymiser.detect.names import Classification
from anonymiser.mask import registry
from anonymiser.mask.keys import key_id, parse_key
from anonymiser.policy.model import ColumnRule, Policy
from anonymiser.subset.result import SubsetRecord
from anonymiser.write.manifest import ColumnMasking, Manifest, SourceFingerprint, TableEntry, file_entry
from anonymiser.write.signature import sign
from tests.cli_runner import TEST_KEY

FIRST = ["Liam", "Olivia", "Noah", "Charlotte", "Jack", "Isla", "Oliver", "Amelia", "Leo", "Ava", "Mia", "Hemi",
         "Aroha", "Tama", "Mere", "Wiremu"]
LAST = ["Smith", "Wilson", "Brown", "Taylor", "Ngata", "Williams", "Jones", "Walker", "Tane", "Parata", "Singh",
        "Lee", "Patel", "Clark"]
CITIES = ["Auckland", "Wellington", "Christchurch", "Hamilton", "Tauranga", "Dunedin", "Napier"]
TIERS = ["gold", "silver", "bronze"]
N_CUSTOMERS = 60

SCHEMA_SQL = """
CREATE TABLE customer (
  id INTEGER PRIMARY KEY, first_name VARCHAR(40), last_name VARCHAR(40), full_name VARCHAR(90),
  email VARCHAR(120) NOT NULL UNIQUE, phone VARCHAR(20), ird_number VARCHAR(12), city VARCHAR(40),
  postcode VARCHAR(4), date_of_birth DATE, notes TEXT, tier VARCHAR(10));
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), amount NUMERIC(10, 2),
  status VARCHAR(10));
CREATE TABLE order_line (
  order_id INTEGER NOT NULL REFERENCES orders(id), line_no INTEGER NOT NULL, product VARCHAR(40),
  PRIMARY KEY (order_id, line_no));
CREATE TABLE shipment (
  id INTEGER PRIMARY KEY, order_id INTEGER, line_no INTEGER, carrier VARCHAR(20),
  FOREIGN KEY (order_id, line_no) REFERENCES order_line(order_id, line_no));
"""


def source_frames() -> dict[str, pd.DataFrame]:
    ids = list(range(1, N_CUSTOMERS + 1))
    first = [FIRST[i % len(FIRST)] for i in ids]
    last = [LAST[(i * 3) % len(LAST)] for i in ids]
    customer = pd.DataFrame({
        "id": ids, "first_name": first, "last_name": last,
        "full_name": [f"{f} {la}" for f, la in zip(first, last, strict=True)],
        "email": [f"{f.lower()}.{la.lower()}{i}@mail.example.nz" for i, f, la in zip(ids, first, last, strict=True)],
        "phone": [f"021 {400 + i:03d} {1000 + i * 37:04d}" for i in ids],
        "ird_number": [f"{49091850 + i * 113:09d}" for i in ids],
        "city": [CITIES[i % len(CITIES)] for i in ids],
        "postcode": [f"{1010 + (i % 5) * 1000}" for i in ids],
        "date_of_birth": [dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28).isoformat() for i in ids],
        "notes": [f"Called {f} {la} on 021 {400 + i:03d} {1000 + i * 37:04d} about a late delivery."
                  if i % 3 == 0 else "Prefers email contact." for i, f, la in zip(ids, first, last, strict=True)],
        "tier": [TIERS[i % 3] for i in ids],
    })
    orders = pd.DataFrame({"id": range(1, 121), "customer_id": [1 + (i * 5) % N_CUSTOMERS for i in range(120)],
                           "amount": [round(10 + i * 3.5, 2) for i in range(120)],
                           "status": [["new", "paid", "sent"][i % 3] for i in range(120)]})
    lines = pd.DataFrame({"order_id": [1 + i // 2 for i in range(240)], "line_no": [1 + i % 2 for i in range(240)],
                          "product": [f"Widget {i % 9}" for i in range(240)]})
    shipment = pd.DataFrame({"id": range(1, 101), "order_id": [1 + i for i in range(100)],
                             "line_no": [1 + i % 2 for i in range(100)], "carrier": ["NZ Post"] * 100})
    return {"customer": customer, "orders": orders, "order_line": lines, "shipment": shipment}


def build_source(path: Path) -> str:
    frames = source_frames()
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_SQL)
        for name, frame in frames.items():
            frame.to_sql(name, conn, if_exists="append", index=False)
    return f"sqlite:///{path}"


def _rotate(values: pd.Series, pool: list[str], step: int = 1) -> pd.Series:
    index = {v: i for i, v in enumerate(pool)}
    return values.map(lambda v: pool[(index[v] + step) % len(pool)])


def masked_frames(*, keep_email: bool = False) -> dict[str, pd.DataFrame]:
    frames = {k: v.copy() for k, v in source_frames().items()}
    c = frames["customer"]
    first, last = _rotate(c["first_name"], FIRST, 3), _rotate(c["last_name"], LAST, 5)
    c["first_name"], c["last_name"] = first, last
    c["full_name"] = first + " " + last
    if not keep_email:
        c["email"] = [f"user{i * 7919 % 100003:06d}@example.com" for i in c["id"]]
    c["phone"] = [f"021 {900 + i:03d} {9000 - i * 31:04d}" for i in c["id"]]
    c["ird_number"] = [f"{10000000 + i * 9973:09d}" for i in c["id"]]
    c["city"] = _rotate(c["city"], CITIES, 2)
    c["date_of_birth"] = (pd.to_datetime(c["date_of_birth"]) + pd.Timedelta(days=17)).dt.strftime("%Y-%m-%d")
    c["notes"] = [f"Called {f} {la} on 021 {900 + i:03d} {9000 - i * 31:04d} about a late delivery."
                  if i % 3 == 0 else "Prefers email contact." for i, f, la in zip(c["id"], first, last, strict=True)]
    return frames


def masked(strategy: str, *, entity: str | None = None, in_key: bool = False, unique: bool = False,
           options: dict[str, Any] | None = None, reason: str | None = None) -> ColumnMasking:
    """How a run records a column masked by ``strategy`` (the masking of the data itself is this module's)."""
    return ColumnMasking.of(registry.build(strategy, options or {}), options=options, entity=entity, in_key=in_key,
                            unique=unique, reason=reason)


# (column, classification, entity, detector, score, hit rate, strategy)
_CUSTOMER: list[tuple[str, Classification, str | None, str, float, float | None, str]] = [
    ("id", "not_personal", None, "type", 0.0, None, "keep"),
    ("first_name", "direct_identifier", "PERSON", "column name", 0.9, 1.0, "first_name"),
    ("last_name", "direct_identifier", "PERSON", "column name", 0.9, 1.0, "last_name"),
    ("full_name", "direct_identifier", "PERSON", "presidio:SpacyRecognizer", 0.85, 0.95, "person_name"),
    ("email", "direct_identifier", "EMAIL_ADDRESS", "presidio:EmailRecognizer", 1.0, 1.0, "email"),
    ("phone", "direct_identifier", "PHONE_NUMBER", "nz:NzPhoneRecognizer", 0.75, 1.0, "phone"),
    ("ird_number", "direct_identifier", "NZ_IRD", "nz:NzIrdRecognizer", 0.9, 1.0, "nz_ird"),
    ("city", "quasi_identifier", "LOCATION", "column name", 0.6, 1.0, "city"),
    ("postcode", "quasi_identifier", "POSTCODE", "column name", 0.6, 1.0, "keep"),
    ("date_of_birth", "quasi_identifier", "DATE_OF_BIRTH", "column name", 0.7, 1.0, "date_shift"),
    ("notes", "direct_identifier", "PERSON", "presidio:SpacyRecognizer", 0.8, 0.33, "free_text"),
    ("tier", "not_personal", None, "type", 0.0, None, "keep"),
]


# The signed-off policy accepts its residual risk (60 customers cannot reach k = 3 on postcode + birth date).
ACCEPTANCE: dict[str, Any] = {"reviewer": "Privacy Officer", "reason": "staging copy for the billing team only",
                              "date": "2026-01-01"}
MASKING: dict[str, dict[str, ColumnMasking]] = {
    "customer": {c: masked(strategy, entity=e, in_key=c == "id", unique=c in ("id", "email"))
                 for c, _, e, _, _, _, strategy in _CUSTOMER},
}
FINDINGS = [
    ColumnFinding(table="customer", column=c, kind="text" if c == "notes" else "string", classification=k,
                  entity=e, detector=d, score=s, hit_rate=h, sampled=60, free_text=c == "notes",
                  rule=ColumnRule(mask=strategy))
    for c, k, e, d, s, h, strategy in _CUSTOMER if c != "id"
]


@dataclass
class Built:
    directory: Path
    source_url: str
    manifest: Manifest


def _keep_all(columns: list[str]) -> dict[str, ColumnMasking]:
    return {c: masked("keep", in_key=c in ("id", "customer_id", "order_id", "line_no")) for c in columns}


# The run's key: TEST_KEY, the key the CLI tests export, so `verify` can check the signature.
BUILDER_KEY = parse_key(TEST_KEY)


def build_output(tmp: Path, *, keep_email: bool = False, drop_parent: bool = False,
                 duplicate_unique: bool = False, leak_in_notes: bool = False, email_in_kept: bool = False,
                 unchanged_dob: bool = False, risk_acceptance: dict[str, Any] | None = ACCEPTANCE) -> Built:
    """Source + masked output + manifest, with optional seeded faults (after the manifest is hashed).
    ``risk_acceptance``: the policy's report.risk_acceptance (the 60 customers are all below k = 3 on
    postcode + date of birth; None leaves that unaccepted, so the residual-risk gate fails)."""
    import sqlalchemy as sa

    from anonymiser.source.introspect import introspect

    source_url = build_source(tmp / "source.sqlite")
    engine = sa.create_engine(source_url)
    with engine.connect() as conn:
        schema = introspect(conn)
    engine.dispose()
    directory = tmp / "out"
    (directory / "parquet").mkdir(parents=True)
    frames = masked_frames(keep_email=keep_email)
    source = source_frames()
    if leak_in_notes:  # a span the free-text masker missed: the real name and phone stay in row id=3
        frames["customer"].loc[2, "notes"] = source["customer"].loc[2, "notes"]
    if email_in_kept:  # a kept column that happens to carry a real e-mail address
        frames["shipment"].loc[0, "carrier"] = "Contact " + source["customer"].loc[4, "email"].upper()
    if unchanged_dob:
        frames["customer"].loc[7, "date_of_birth"] = source["customer"].loc[7, "date_of_birth"]
    source_counts = {k: len(v) for k, v in source.items()}
    tables: dict[str, TableEntry] = {}
    for name, frame in frames.items():
        path = directory / "parquet" / f"{name}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        masking = dict(MASKING.get(name) or _keep_all(list(frame.columns)))
        if keep_email and name == "customer":
            masking["email"] = masked("keep", entity="EMAIL_ADDRESS", unique=True)
        tables[name] = TableEntry(rows=len(frame), source_rows=source_counts[name],
                                  files=[file_entry(directory, path)], masking=masking)
    policy = Policy.model_validate({
        "version": 1,
        "tables": {t: {"columns": {c: m.strategy for c, m in e.masking.items()}} for t, e in tables.items()},
        "quasi_identifiers": ["customer.postcode", "customer.date_of_birth"],
        "sensitive_attributes": ["customer.tier"],
        "retention_days": 35,
        "report": {"k_target": 3, "environment": "staging", "data_owner": "Head of Sales",
                   "privacy_officer": "Privacy Officer", "pia_reference": "PIA-2026-07",
                   **({"risk_acceptance": risk_acceptance} if risk_acceptance is not None else {})},
    })
    manifest = Manifest(
        run_id="20260101T000000Z-test", started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:00:05+00:00", run_by="tester", host="testhost",
        tool_versions={"anonymiser": "0.1.0", "presidio-analyzer": "2.2.366", "faker": "40.0.0",
                       "dictionaries": "1+0123456789ab"},
        detection=DetectionResult(engine={"presidio": "2.2.366", "spacy_model": "en_core_web_sm", "ner": True},
                                  findings=FINDINGS),
        policy_path="policy.yaml", policy_sha256="0" * 64, policy=policy, key_id=key_id(BUILDER_KEY), demo_key=False,
        source=SourceFingerprint(dialect="sqlite", database="source.sqlite", schema_hash=schema.fingerprint()),
        subset=SubsetRecord(seed=7),
        schema=schema, load_order=schema.load_order(), tables=tables, formats=["parquet"],
    )
    manifest.write(directory)
    sign(directory, BUILDER_KEY, run_id=manifest.run_id, key_id=manifest.key_id)   # as a run does
    if drop_parent or duplicate_unique:
        path = directory / "parquet" / "customer.parquet"
        frame = pq.read_table(path).to_pandas()
        if drop_parent:  # a writer fault: customer 6 has orders (customer_id = 1 + 5k % 60)
            frame = frame[frame["id"] != 6]
        if duplicate_unique:
            frame.loc[frame.index[1], "email"] = frame.loc[frame.index[0], "email"]
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return Built(directory, source_url, manifest)
