"""Keys compared ignoring case stay joined after masking (trial F20).

Under MySQL/MariaDB's default ``_ci`` collations (and PostgreSQL ``citext``) a foreign key may spell its
parent's key in another case: ``login.account_email = 'AROHA.NGATA@…'`` references
``account.email = 'Aroha.Ngata@…'``. Each spelling used to get its own fake, so the copy had orphans
and its dump did not load.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from tests import dbs
from tests.adversarial.harness import assert_clean, cli, write_policy
from tests.integration.test_dump import run_client

POLICY = """\
version: 1
tables:
  account:
    columns:
      email: email
      name: person_name
  login:
    columns:
      id: keep
      account_email: email
"""
PARENTS = [("Aroha.Ngata@Example.co.nz", "Aroha Ngata"), ("mere.tuhoe@example.org", "Mere Tuhoe")]
CHILDREN = ["aroha.ngata@example.co.nz", "AROHA.NGATA@EXAMPLE.CO.NZ", "Aroha.Ngata@Example.co.nz",
            "MERE.TUHOE@example.org", "mere.tuhoe@example.org"]
DDL = {
    "mysql": ["CREATE TABLE account (email VARCHAR(60) PRIMARY KEY, name VARCHAR(60)) COLLATE utf8mb4_general_ci",
              "CREATE TABLE login (id INT PRIMARY KEY, account_email VARCHAR(60) NOT NULL, "
              "FOREIGN KEY (account_email) REFERENCES account (email)) COLLATE utf8mb4_general_ci"],
    "postgresql": ["CREATE EXTENSION IF NOT EXISTS citext",
                   "CREATE TABLE account (email citext PRIMARY KEY, name text)",
                   "CREATE TABLE login (id int PRIMARY KEY, account_email citext NOT NULL REFERENCES account (email))"],
}


@pytest.mark.parametrize(("dialect", "fixture"), [("mysql", "mariadb_url"), ("postgresql", "pg_url")])
def test_case_variants_of_a_key_get_their_parents_fake(dialect: str, fixture: str, tmp_path: Path,
                                                       request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(fixture)
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        for statement in DDL[dialect]:
            conn.execute(sa.text(statement))
        conn.execute(sa.text("INSERT INTO account VALUES (:email, :name)"),
                     [{"email": e, "name": n} for e, n in PARENTS])
        conn.execute(sa.text("INSERT INTO login VALUES (:id, :email)"),
                     [{"id": i, "email": e} for i, e in enumerate(CHILDREN)])
    engine.dispose()
    out = tmp_path / "out"
    assert_clean(cli("run", str(write_policy(tmp_path, POLICY)), "--source", source, "--out", str(out),
                     "--format", "parquet,sql", "--dialect", dialect), 0)       # verification: no orphan
    account = pq.read_table(out / "parquet" / "account.parquet").column("email").to_pylist()
    login = pq.read_table(out / "parquet" / "login.parquet").sort_by("id").column("account_email").to_pylist()
    assert login == [account[0]] * 3 + [account[1]] * 2
    assert not set(account) & {e for e, _ in PARENTS}
    if dialect == "mysql":     # the dump loads with the native client (its FK is checked on insert)
        with dbs.mariadb_database() as target:
            loaded = run_client(dialect, target, out / "sql" / "mysql.sql")
            assert loaded.returncode == 0, loaded.stderr.decode()[-2000:]
            assert dbs.mariadb_rows(target, "SELECT COUNT(*) FROM login JOIN account ON email = account_email") \
                == [(len(CHILDREN),)]
