"""trial2: a MariaDB schema with unsigned 64-bit ids copied into PostgreSQL through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # real runs through the CLI


def test_foreign_keys_to_an_unsigned_bigint_id_load_into_postgresql(tmp_path: Path, mariadb_url: str) -> None:
    """The id became bigint (to stay an identity) but the columns referencing it numeric(20, 0): psql refused
    'foreign key constraint ... cannot be implemented'."""
    dbs.run_mariadb(mariadb_url, "CREATE TABLE client (client_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
                    "referred_by BIGINT UNSIGNED NULL REFERENCES client(client_id), label VARCHAR(20)); "
                    "CREATE TABLE case_note (id INT AUTO_INCREMENT PRIMARY KEY, "
                    "client_id BIGINT UNSIGNED NOT NULL REFERENCES client(client_id), qty INT); "
                    "INSERT INTO client VALUES (1, NULL, 'a'), (2, 1, 'b'); "
                    "INSERT INTO case_note (client_id, qty) VALUES (1, 3), (2, 4);")
    policy, out = tmp_path / "p.yaml", tmp_path / "out"
    policy.write_text("version: 1\ntables:\n  client:\n    columns:\n      client_id: keep\n      referred_by: keep\n"
                      "      label: keep\n  case_note:\n    columns:\n      id: keep\n      client_id: keep\n"
                      "      qty: keep\n", "utf-8")
    run = anonymiser("run", str(policy), "--source", mariadb_url, "--out", str(out), "--format", "sql",
                     "--dialect", "postgresql")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    with dbs.postgres_database() as by_client, dbs.postgres_database() as by_load:
        dbs.run_psql(by_client, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        load = anonymiser("load", str(out), "--target", by_load)
        assert load.returncode == 0, (load.stdout + load.stderr)[-3000:]
        for copy in (by_client, by_load):
            assert dbs.pg_rows(copy, "SELECT n.id, c.referred_by FROM case_note n JOIN client c USING (client_id) "
                                     "ORDER BY n.id") == [(1, None), (2, 1)]
            assert dbs.pg_rows(copy, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [(2,)]
