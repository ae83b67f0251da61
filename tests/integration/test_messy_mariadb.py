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


def test_emoji_enum_and_set_labels_survive_the_catalogue_and_load_back(tmp_path: Path, mariadb_url: str) -> None:
    """MariaDB prints column definitions in utf8mb3: an emoji label reads '?' in its catalogue while the rows hold
    it whole. The copy's ENUM/SET kept '?', and loading it failed on the rows ('😀' is no member)."""
    dbs.run_mariadb(mariadb_url, "CREATE TABLE mood (id INT PRIMARY KEY, feeling ENUM('😀','ok','ā','unused'), "
                    "tags SET('🔥','x','y'), email VARCHAR(80)) DEFAULT CHARSET=utf8mb4; "
                    "INSERT INTO mood VALUES (1, '😀', '🔥,x', 'aroha@example.co.nz'), (2, 'ā', 'y,🔥', NULL), "
                    "(3, 'ok', NULL, NULL);")
    assert dbs.mariadb_rows(mariadb_url, "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
                                         "TABLE_NAME = 'mood' AND COLUMN_NAME = 'feeling'") == \
        [("enum('?','ok','ā','unused')",)], "the server prints the label as '?': the case this test is about"
    policy, out = tmp_path / "p.yaml", tmp_path / "out"
    policy.write_text("version: 1\ntables:\n  mood:\n    columns:\n      id: keep\n      feeling: keep\n"
                      "      tags: keep\n      email: email\n", "utf-8")
    run = anonymiser("run", str(policy), "--source", mariadb_url, "--out", str(out), "--format", "sql",
                     "--dialect", "mysql,postgresql")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    dump = (out / "sql" / "mysql.sql").read_text("utf-8")
    assert "enum('😀','ok','ā','unused')" in dump and "set('🔥','x','y')" in dump
    assert "('😀', 'ok', 'ā', 'unused')" in (out / "sql" / "postgresql.sql").read_text("utf-8")
    with dbs.mariadb_database() as copy:
        load = anonymiser("load", str(out), "--target", copy)
        assert load.returncode == 0, (load.stdout + load.stderr)[-3000:]
        # the same labels at the same positions (ORDER BY an ENUM sorts by position)
        assert dbs.mariadb_rows(copy, "SELECT id, feeling, feeling + 0, tags, tags + 0 FROM mood ORDER BY id") == \
            [(1, "😀", 1, "🔥,x", 3), (2, "ā", 3, "🔥,y", 5), (3, "ok", 2, None, None)]
