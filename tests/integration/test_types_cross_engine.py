"""Issue 10 item 4: the type catalogue loads across engines (PostgreSQL → MariaDB and SQLite, MariaDB →
PostgreSQL and SQLite) by the mapping of docs/types.md, with a warning naming table.column wherever a
type has no equivalent, and never a crash or a silent truncation (spatial columns: test_spatial.py)."""

from __future__ import annotations

import decimal
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests import dbs
from tests.cli_runner import anonymiser
from tests.integration.test_types_roundtrip import run_to
from tests.types import catalogue

# NaN and ±Infinity floats (and a numeric holding NaN) have no MySQL or SQLite form: masked, as the
# refusal's hint tells a user to.
FLOATS = {("every_type", c): {"mask": "null"} for c in ("c_real", "c_double", "c_numeric_free")}


_mysql = dbs.mariadb_rows
_pg = dbs.pg_rows


def sqlite_copies(tmp_path: Path, out: Path) -> tuple[str, list[Path]]:
    """The output loaded into SQLite by ``anonymiser load`` and, from sql/sqlite.sql, by the sqlite3 client as
    a user would: (what load printed, both database files)."""
    by_load, by_client = tmp_path / "copy.sqlite", tmp_path / "client.sqlite"
    loaded = anonymiser("load", str(out), "--target", f"sqlite:///{by_load}")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    subprocess.run(["sqlite3", str(by_client)], input=(out / "sql" / "sqlite.sql").read_bytes(), check=True,
                   capture_output=True)
    return loaded.stdout + loaded.stderr, [by_load, by_client]


@pytest.mark.slow
def test_postgresql_catalogue_loads_into_mariadb_and_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration import test_types_roundtrip as roundtrip

    monkeypatch.setitem(roundtrip.MASKED, "postgresql", {**roundtrip.MASKED["postgresql"], **FLOATS})
    with dbs.postgres_database() as source, dbs.mariadb_database() as mariadb, \
            dbs.mariadb_database() as by_client:
        catalogue.build_postgres(source)
        out, _ = run_to(tmp_path, source, "postgresql", catalogue.PG_SCHEMA, dialects="postgresql,mysql,sqlite")
        loaded = anonymiser("load", str(out), "--target", mariadb)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        for where in ("every_type.c_text_array", "film.special_features", "every_type.c_inet",
                      "every_type.c_domain", "film.fulltext", "film.search_vector", "rental: partitioning"):
            assert where in loaded.stdout + loaded.stderr, where
        # The MySQL dump of a PostgreSQL source loads with MariaDB's own client, and gives the same tables.
        dbs.run_mariadb(by_client, (out / "sql" / "mysql.sql").read_text("utf-8"))
        for copy in (mariadb, by_client):
            assert _mysql(copy, "SELECT COUNT(*) FROM film WHERE JSON_CONTAINS(special_features, '\"Trailers\"')") \
                == [(1,)]
            # now() became the target's CURRENT_TIMESTAMP: an insert without last_update works.
            _mysql(copy, "INSERT INTO film (store_id, title) VALUES (1, 'x')")
            assert _mysql(copy, "SELECT last_update > NOW() - INTERVAL 1 DAY FROM film WHERE title = 'x'") == [(1,)]
        assert catalogue.mysql_snapshot(by_client) == catalogue.mysql_snapshot(mariadb)
        assert _mysql(mariadb, "SELECT c_int_grid, c_interval, c_numeric FROM every_type WHERE id = 1") == \
            [("[[1,2],[3,4]]", "1 year 2 mons 3 days 04:05:06.789",
              decimal.Decimal("1234567890123456789012345678.0123456789"))]
        assert _mysql(mariadb, "SELECT COUNT(*) FROM rental") == [(3,)]
        # Foreign-key actions carry over; what MySQL lacks (DEFERRABLE) and PostgreSQL's own index definitions
        # (GIN, GiST, expressions) are left out with a warning naming them.
        assert _mysql(mariadb, "SELECT TABLE_NAME, UPDATE_RULE, DELETE_RULE FROM information_schema."
                               "REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1") == \
            [("film", "CASCADE", "RESTRICT"), ("rental", "RESTRICT", "CASCADE")]
        assert "rental: foreign key rental_film_id_fkey: DEFERRABLE dropped" in loaded.stdout + loaded.stderr
        assert "film: index(es) film_features, film_lower_title, film_shouted, film_title_trgm, film_year_rated " \
               "not recreated" in loaded.stdout + loaded.stderr

        printed, copies = sqlite_copies(tmp_path, out)
        assert "every_type.c_text_array" in printed
        for copy in copies:
            conn = sqlite3.connect(copy)
            try:
                assert conn.execute("SELECT c_text_array, c_enum FROM every_type WHERE id = 1").fetchone() == \
                    ('["a,b","c\\"d",null,""]', "NC-17")
                with pytest.raises(sqlite3.IntegrityError):   # the enum's members became a CHECK
                    conn.execute("UPDATE every_type SET c_enum = 'XXX' WHERE id = 1")
                conn.execute("INSERT INTO film (store_id, title) VALUES (1, 'x')")
                assert conn.execute("SELECT last_update IS NOT NULL FROM film WHERE title = 'x'").fetchone() == (1,)
            finally:
                conn.close()


@pytest.mark.slow
def test_mariadb_catalogue_loads_into_postgresql_and_sqlite(tmp_path: Path) -> None:
    with dbs.mariadb_database() as source, dbs.postgres_database() as postgres, \
            dbs.postgres_database() as by_client:
        catalogue.build_mariadb(source)
        out, _ = run_to(tmp_path, source, "mysql", None, dialects="mysql,postgresql,sqlite")
        loaded = anonymiser("load", str(out), "--target", postgres)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert "film.special_features" in loaded.stdout + loaded.stderr   # SET: text in the comma form
        assert "film.last_update: ON UPDATE current_timestamp() is mysql's" in loaded.stdout + loaded.stderr
        # The PostgreSQL dump of a MariaDB source loads with psql -v ON_ERROR_STOP=1, and gives the same tables.
        dbs.run_psql(by_client, (out / "sql" / "postgresql.sql").read_text("utf-8"))
        assert catalogue.pg_snapshot(by_client) == catalogue.pg_snapshot(postgres)
        assert "film: index(es) fk_film_store, ft_film_text, idx_film_description, idx_film_year_rating not " \
               "recreated" in loaded.stdout + loaded.stderr
        for copy in (postgres, by_client):
            assert _pg(copy, "SELECT c_int_u, c_bigint_u, c_time::text, c_set, c_enum FROM every_type "
                             "WHERE id = 1") == [(4294967295, decimal.Decimal("18446744073709551615"),
                                                  "838:59:59", "red,blue", "small")]
            assert _pg(copy, "SELECT count(*) FROM film WHERE rating = 'PG'") == [(1,)]
            assert _pg(copy, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'") == [
                ("FOREIGN KEY (store_id) REFERENCES \"Store\"(store_id) ON UPDATE CASCADE ON DELETE CASCADE",)]
            with pytest.raises(psycopg.errors.CheckViolation):
                _pg(copy, "UPDATE film SET rating = 'XXX' WHERE film_id = 1")
            assert _pg(copy, "INSERT INTO every_type DEFAULT VALUES RETURNING id") == [(4,)]
            assert _pg(copy, "INSERT INTO film (store_id, title) VALUES (1, 'x') RETURNING last_update IS NOT NULL") \
                == [(True,)]

        for copy in sqlite_copies(tmp_path, out)[1]:
            conn = sqlite3.connect(copy)
            try:
                assert conn.execute("SELECT c_bigint_u, c_set FROM every_type WHERE id = 1").fetchone() == \
                    ("18446744073709551615", "red,blue")
                assert conn.execute("SELECT COUNT(*) FROM film").fetchone() == (4,)
            finally:
                conn.close()
