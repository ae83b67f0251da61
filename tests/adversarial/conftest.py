from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dbs
from tests.adversarial.harness import CUSTOMER_DDL, PLANTED_ROWS, make_sqlite_source, write_policy


@pytest.fixture(scope="module")
def planted_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small SQLite source holding the planted values, and a policy covering it (read-only: shared per module)."""
    directory = tmp_path_factory.mktemp("planted")
    return make_sqlite_source(directory / "source.sqlite"), write_policy(directory)


@pytest.fixture(scope="module")
def planted_pg() -> Iterator[str]:
    """A PostgreSQL database holding the planted values (read-only: shared per module)."""
    import psycopg

    with dbs.postgres_database("anon_adv") as url, psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute(CUSTOMER_DDL)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO customer VALUES (%s, %s, %s, %s, %s, %s, %s)", PLANTED_ROWS)
        conn.commit()
        yield url


@pytest.fixture(scope="module")
def planted_mariadb() -> Iterator[str]:
    """A MariaDB database holding the planted values (read-only: shared per module)."""
    import pymysql

    with dbs.mariadb_database("anon_adv") as url:
        conn = pymysql.connect(host=dbs.MY_HOST, port=dbs.MY_PORT, user=dbs.MY_USER, database=dbs.database_name(url))
        with conn.cursor() as cur:
            cur.execute(CUSTOMER_DDL)
            cur.executemany("INSERT INTO customer VALUES (%s, %s, %s, %s, %s, %s, %s)", PLANTED_ROWS)
        conn.commit()
        conn.close()
        yield url
