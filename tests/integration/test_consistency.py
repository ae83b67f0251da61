"""Masked keys still join exactly as the source does, and one email gets one fake in every table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from anonymiser.identifiers.nz import is_valid_nz_bank_account
from anonymiser.source.connect import normalise_url
from tests.cli_runner import anonymiser

DDL = [
    "CREATE TABLE account (account_number VARCHAR(20) PRIMARY KEY, owner_email VARCHAR(120) NOT NULL, "
    "label VARCHAR(20) NOT NULL UNIQUE)",
    "CREATE TABLE payment (id INTEGER PRIMARY KEY, account_number VARCHAR(20) NOT NULL "
    "REFERENCES account(account_number), amount INTEGER NOT NULL)",
    "CREATE TABLE region (country CHAR(2) NOT NULL, code VARCHAR(10) NOT NULL, name VARCHAR(40) NOT NULL, "
    "PRIMARY KEY (country, code))",
    "CREATE TABLE office (id INTEGER PRIMARY KEY, country CHAR(2) NOT NULL, region_code VARCHAR(10) NOT NULL, "
    "FOREIGN KEY (country, region_code) REFERENCES region(country, code))",
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, actor_email VARCHAR(120) NOT NULL)",
]
POLICY = """\
version: 1
tables:
  account:
    columns:
      account_number: { mask: nz_bank_account }
      owner_email: { mask: email }
      label: keep
  payment:
    columns:
      id: keep
      account_number: keep          # follows account.account_number
      amount: keep
  region:
    columns:
      country: keep
      code: { mask: remap }
      name: keep
  office:
    columns:
      id: keep
      country: keep
      region_code: keep             # follows region.code through the composite key
  audit_log:
    columns:
      id: keep
      actor_email: { mask: email }  # no FK: agrees with account.owner_email by entity domain
"""


def _populate(url: str) -> None:
    accounts = [(f"01-0902-{i:07d}-00", f"Person.{i}@Example.co.nz", f"acct-{i}") for i in range(1, 301)]
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as conn:
        for statement in DDL:
            conn.execute(sa.text(statement))
        conn.execute(sa.text("INSERT INTO account VALUES (:a, :e, :l)"),
                     [{"a": a, "e": e, "l": lab} for a, e, lab in accounts])
        conn.execute(sa.text("INSERT INTO payment VALUES (:i, :a, :m)"),
                     [{"i": i, "a": accounts[i % 300][0], "m": i * 7} for i in range(1, 2001)])
        conn.execute(sa.text("INSERT INTO region VALUES (:c, :k, :n)"),
                     [{"c": c, "k": f"R{i:03d}", "n": f"{c} region {i}"} for c in ("NZ", "AU") for i in range(40)])
        conn.execute(sa.text("INSERT INTO office VALUES (:i, :c, :k)"),
                     [{"i": i, "c": ("NZ", "AU")[i % 2], "k": f"R{i % 40:03d}"} for i in range(1, 501)])
        # Same people, another spelling of the same address: normalisation makes them one entity.
        conn.execute(sa.text("INSERT INTO audit_log VALUES (:i, :e)"),
                     [{"i": i, "e": accounts[i % 300][1].lower() if i % 2 else accounts[i % 300][1]}
                      for i in range(1, 1001)])
    engine.dispose()


def _source(url: str, table: str) -> pd.DataFrame:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return pd.read_sql_table(table, conn)
    finally:
        engine.dispose()


def _output(out: Path, table: str) -> pd.DataFrame:
    return pq.read_table(out / "parquet" / f"{table}.parquet").to_pandas()


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url"])
def test_masked_keys_join_like_the_source(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = request.getfixturevalue(fixture)
    _populate(url)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "out"
    result = anonymiser("--json", "run", str(policy), "--source", url, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["verdict"] == "PASS"

    # Natural-key FK: every payment reaches the same account (identified by its kept label) as in the source.
    def by_payment(payment: pd.DataFrame, account: pd.DataFrame) -> dict[int, str]:
        joined = payment.merge(account, on="account_number", how="inner", validate="many_to_one")
        return dict(zip(joined["id"], joined["label"], strict=True))

    source_join = by_payment(_source(url, "payment"), _source(url, "account"))
    output_join = by_payment(_output(out, "payment"), _output(out, "account"))
    assert len(source_join) == 2000
    assert output_join == source_join
    masked_accounts = _output(out, "account")
    assert not set(masked_accounts["account_number"]) & set(_source(url, "account")["account_number"])
    assert masked_accounts["account_number"].map(is_valid_nz_bank_account).all()
    assert masked_accounts["account_number"].is_unique and masked_accounts["owner_email"].is_unique

    # Composite FK (country, region_code) → region(country, code): same region names reached.
    def office_regions(office: pd.DataFrame, region: pd.DataFrame) -> dict[int, str]:
        joined = office.merge(region, left_on=["country", "region_code"], right_on=["country", "code"],
                              validate="many_to_one")
        return dict(zip(joined["id"], joined["name"], strict=True))

    assert office_regions(_output(out, "office"), _output(out, "region")) == \
        office_regions(_source(url, "office"), _source(url, "region"))
    assert not set(_output(out, "region")["code"]) & set(_source(url, "region")["code"])

    # The same email in an unrelated table gets the same fake (entity domain, case-insensitive).
    source_accounts, source_audit = _source(url, "account"), _source(url, "audit_log")
    fake_by_label = dict(zip(masked_accounts["label"], masked_accounts["owner_email"], strict=True))
    label_by_email = {e.lower(): lab for e, lab in zip(source_accounts["owner_email"], source_accounts["label"],
                                                       strict=True)}
    expected = source_audit.set_index("id")["actor_email"].str.lower().map(label_by_email).map(fake_by_label)
    actual = _output(out, "audit_log").set_index("id")["actor_email"]
    pd.testing.assert_series_equal(actual.sort_index(), expected.sort_index(), check_names=False,
                                   check_dtype=False)
