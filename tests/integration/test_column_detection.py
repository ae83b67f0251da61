"""Columns personal by their values, whatever they are called (trial F10, F21, F22, F24), through the real CLI
on real PostgreSQL, MariaDB and SQLite: scan drafts a masking rule with its evidence, scan → run passes
with no source value in the output, and the same column kept fails verification with a reason."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from anonymiser.source.connect import normalise_url
from anonymiser.verify import model as m
from tests.cli_runner import anonymiser
from tests.unit.detect.test_column_values import PRODUCTS, full_names, licences

pytestmark = pytest.mark.slow  # real runs through the CLI

NAME_COLUMNS = ("customer", "holder", "nm", "contact_person", "signed_by")


def _written(out: Path) -> str:
    return "\n".join(str(v) for f in sorted((out / "parquet").rglob("*.parquet"))
                     for col in pq.read_table(f).columns for v in col.to_pylist() if isinstance(v, str))


def _failures(out: Path) -> set[tuple[str, str | None]]:
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    return {(f["reason"], f.get("column")) for f in report["verification"]["failures"]}


def _scan_run_then_keep(tmp_path: Path, url: str, personal: dict[str, str], kept_ok: tuple[str, ...],
                        secrets: list[str]) -> None:
    """scan drafts ``personal`` (column → mask); scan → run PASSes leaking none of ``secrets``; the same
    policy with those columns kept FAILs naming each of them, and never ``kept_ok``."""
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    scan = anonymiser("scan", url, "--out", str(policy))
    assert scan.returncode == 0, scan.stderr[-2000:]
    draft = policy.read_text("utf-8")
    for column, mask in personal.items():
        line = next(ln for ln in draft.splitlines() if ln.strip().startswith(f"{column}:"))
        assert line.split("#")[0].strip().startswith(f"{column}: {mask}"), line
        assert "sampled" in line.split("#")[1]                      # the evidence, as counts
    for column in kept_ok:
        line = next(ln for ln in draft.splitlines() if ln.strip().startswith(f"{column}:"))
        assert line.split("#")[0].strip() == f"{column}: keep", line
    assert not any(s in draft for s in secrets)

    run = anonymiser("run", str(policy), "--source", url, "--out", str(out))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    written = _written(out)
    assert sorted(s for s in secrets if s in written) == []

    kept = tmp_path / "kept.yaml"
    kept.write_text(re.sub(rf"^(\s+(?:{'|'.join(personal)})): [^#\n]*?(\s+#)", r"\1: keep\2", draft, flags=re.M),
                    "utf-8")
    out2 = tmp_path / "out2"
    run = anonymiser("--json", "run", str(kept), "--source", url, "--out", str(out2))
    assert run.returncode == 1, (run.stdout + run.stderr)[-3000:]
    failed = _failures(out2)
    for column in personal:
        assert (m.REDETECTED, column) in failed, failed
    assert not any(column in kept_ok for _, column in failed), failed
    assert not any(s in run.stdout + run.stderr for s in secrets)


def test_full_names_under_any_column_name_postgres(tmp_path: Path, pg_url: str) -> None:
    """F21: 300 "Given Surname" values under customer / holder / nm / contact_person / signed_by."""
    names = full_names(300)
    rng = random.Random(4)
    engine = sa.create_engine(normalise_url(pg_url))
    with engine.begin() as conn:
        columns = ", ".join(f"{c} text" for c in NAME_COLUMNS)
        conn.exec_driver_sql(f"CREATE TABLE people (id integer PRIMARY KEY, {columns}, product text, branch text, "
                             "profile jsonb, extra json)")
        conn.execute(sa.text(f"INSERT INTO people VALUES (:id, {', '.join(':' + c for c in NAME_COLUMNS)}, :p, :c, "
                             ":j, :k)"),
                     [{"id": i, **{c: rng.choice(names) for c in NAME_COLUMNS}, "p": PRODUCTS[i % len(PRODUCTS)],
                       "c": rng.choice(["Auckland", "Hamilton", "Nelson", "Napier", "Wellington"]),
                       "j": json.dumps({"contact": {"email": f"person{i}@example.co.nz"}, "tier": "gold"}),
                       "k": json.dumps({"who": {"email": f"person{i}@example.co.nz"}})}
                      for i in range(300)])
    engine.dispose()
    emails = [f"person{i}@example.co.nz" for i in range(300)]
    _scan_run_then_keep(tmp_path, pg_url, {**dict.fromkeys(NAME_COLUMNS, "person_name"), "profile": "{mask: json",
                                           "extra": "{mask: json"}, ("product", "branch"), names + emails)


def test_licence_numbers_under_a_neutral_name_mariadb(tmp_path: Path, mariadb_url: str) -> None:
    """F22: a column of NZ driver licence numbers called ``lic``; product codes of the same shape stay kept."""
    rng = random.Random(8)
    lic = sorted(set(licences(200)))
    engine = sa.create_engine(normalise_url(mariadb_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE patient (id int PRIMARY KEY, lic varchar(12), given_name varchar(40), "
                             "profile JSON)")
        conn.exec_driver_sql("CREATE TABLE product (id int PRIMARY KEY, code varchar(12), label varchar(80))")
        conn.execute(sa.text("INSERT INTO patient VALUES (:i, :l, :g, :p)"),
                     [{"i": i, "l": v, "g": rng.choice(["Aroha", "Hemi", "Mere"]),
                       "p": json.dumps({"contact": {"email": f"patient{i}@example.co.nz"}, "ward": "B"})}
                      for i, v in enumerate(lic)])
        conn.execute(sa.text("INSERT INTO product VALUES (:i, :c, :l)"),
                     [{"i": i, "c": f"{rng.choice(['AB', 'XK', 'PR'])}{rng.randint(0, 999999):06d}",
                       "l": PRODUCTS[i % len(PRODUCTS)]} for i in range(200)])
    engine.dispose()
    emails = [f"patient{i}@example.co.nz" for i in range(len(lic))]
    _scan_run_then_keep(tmp_path, mariadb_url, {"lic": "nz_driver_licence", "profile": "{mask: json"},
                        ("code", "label"), lic + emails)


def test_untyped_sqlite_audit_log_scan_and_verify_agree(tmp_path: Path) -> None:
    """F10: untyped SQLite columns of full names and of IP addresses inside short text."""
    names = full_names(200)
    src = tmp_path / "src.sqlite"
    with sqlite3.connect(src) as conn:
        conn.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, who, what, outcome)")
        conn.executemany("INSERT INTO audit_log VALUES (?,?,?,?)",
                         [(i, names[i], f"login from 10.1.{i % 9}.{i}", "ok" if i % 5 else "denied")
                          for i in range(200)])
    conn.close()
    ips = [f"10.1.{i % 9}.{i}" for i in range(200)]
    _scan_run_then_keep(tmp_path, f"sqlite:///{src}", {"who": "person_name", "what": "free_text"}, ("outcome",),
                        names + [ip for ip in ips if len(ip) >= 9])


def test_phone_cells_with_names(tmp_path: Path) -> None:
    """F24: ``phone`` rewrites digits only; verify finds the names it keeps, and scan drafts free_text instead."""
    src = tmp_path / "src.sqlite"
    names = full_names(60)
    with sqlite3.connect(src) as conn:
        conn.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, phone TEXT)")
        conn.executemany("INSERT INTO contact VALUES (?,?)",
                         [(i, f"021 {100 + i} {4000 + i}" + (f" (ask for {names[i]})" if i % 3 == 0 else ""))
                          for i in range(60)])
    conn.close()
    url = f"sqlite:///{src}"
    policy, out = tmp_path / "phone.yaml", tmp_path / "out"
    policy.write_text("version: 1\ntables:\n  contact:\n    columns:\n      id: keep\n      phone: phone\n", "utf-8")
    run = anonymiser("--json", "run", str(policy), "--source", url, "--out", str(out))
    assert run.returncode == 1, (run.stdout + run.stderr)[-3000:]
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    failure = next(f for f in report["verification"]["failures"] if f.get("column") == "phone")
    assert failure["reason"] == m.REDETECTED and "free_text" in failure["message"]
    assert not any(n in failure["message"] for n in names)

    draft, out2 = tmp_path / "draft.yaml", tmp_path / "out2"
    scan = anonymiser("scan", url, "--out", str(draft))
    assert scan.returncode == 0, scan.stderr[-2000:]
    assert re.search(r"^\s+phone: free_text\s+#.*name a person", draft.read_text("utf-8"), re.M)
    run = anonymiser("run", str(draft), "--source", url, "--out", str(out2))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    written = _written(out2)
    assert [n for i, n in enumerate(names) if i % 3 == 0 and n in written] == []


def _draft_line(draft: str, column: str) -> str:
    return next(ln for ln in draft.splitlines() if ln.strip().startswith(f"{column}:"))


def test_home_coordinates_and_birth_year_mariadb(tmp_path: Path, mariadb_url: str) -> None:
    """F4: a GEOMETRY point beside an address and phone is personal location data; a birth year beside people is
    proposed as a quasi-identifier; a geometry in a table about no one stays kept."""
    engine = sa.create_engine(normalise_url(mariadb_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE address (address_id int PRIMARY KEY, address varchar(50) NOT NULL, "
                             "phone varchar(20) NOT NULL, location GEOMETRY NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE customer (customer_id int PRIMARY KEY, first_name varchar(45), "
                             "birth_year YEAR, address_id int REFERENCES address(address_id))")
        conn.exec_driver_sql("CREATE TABLE depot (depot_id int PRIMARY KEY, label varchar(20), area POLYGON)")
        for i in range(20):
            conn.exec_driver_sql(f"INSERT INTO address VALUES ({i}, '{i} Queen Street', '021 555 {1000 + i}', "
                                 f"ST_GeomFromText('POINT(174.{760 + i} -36.{840 + i})'))")
            conn.exec_driver_sql(f"INSERT INTO customer VALUES ({i}, 'Aroha', {1950 + i}, {i})")
        conn.exec_driver_sql("INSERT INTO depot VALUES (1, 'North', "
                             "ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'))")
    engine.dispose()
    policy = tmp_path / "policy.yaml"
    scan = anonymiser("scan", mariadb_url, "--out", str(policy))
    assert scan.returncode == 0, scan.stderr[-2000:]
    draft = policy.read_text("utf-8")
    location = _draft_line(draft, "location")
    assert location.split("#")[0].strip() == "location: redact" and "LOCATION" in location, location
    assert "birth_year: {mask: keep, reason: quasi-identifier" in _draft_line(draft, "birth_year")
    assert "- customer.birth_year" in draft.split("quasi_identifiers:")[1]
    assert _draft_line(draft, "area").split("#")[0].strip() == "area: keep"


def test_nullable_point_beside_people_is_nulled_postgres(tmp_path: Path, pg_url: str) -> None:
    """F4 on PostgreSQL: a nullable point of a home is drafted null, and scan → run passes without it."""
    engine = sa.create_engine(normalise_url(pg_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id integer PRIMARY KEY, email text, home point)")
        conn.execute(sa.text("INSERT INTO customer VALUES (:i, :e, point(:x, :y))"),
                     [{"i": i, "e": f"user{i}@example.co.nz", "x": 174.7 + i / 100, "y": -36.8 - i / 100}
                      for i in range(20)])
    engine.dispose()
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    scan = anonymiser("scan", pg_url, "--out", str(policy))
    assert scan.returncode == 0, scan.stderr[-2000:]
    assert _draft_line(policy.read_text("utf-8"), "home").split("#")[0].strip() == "home: 'null'"
    run = anonymiser("run", str(policy), "--source", pg_url, "--out", str(out))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    homes = [v for f in (out / "parquet").rglob("*.parquet") for v in pq.read_table(f).column("home").to_pylist()]
    assert len(homes) == 20 and set(homes) == {None}


def test_text_array_of_emails_postgres(tmp_path: Path, pg_url: str) -> None:
    """F27: a text[] column of e-mail addresses is sampled element by element by scan and re-detected by verify."""
    engine = sa.create_engine(normalise_url(pg_url))
    emails = [f"buyer{i}@example.co.nz" for i in range(120)]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sale (id integer PRIMARY KEY, tags text[], labels text[])")
        conn.execute(sa.text("INSERT INTO sale VALUES (:i, :t, :l)"),
                     [{"i": i, "t": [e, "vip"] if i % 2 else [e], "l": ["red", "blue"][: 1 + i % 2]}
                      for i, e in enumerate(emails)])
    engine.dispose()
    _scan_run_then_keep(tmp_path, pg_url, {"tags": "email"}, ("labels",), emails)
