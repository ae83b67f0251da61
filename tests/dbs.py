"""Per-test databases on the local servers, and loaders for the sample databases in tests/data.

Each test gets its own database (PostgreSQL, MariaDB) or file (SQLite), so ``pytest -n auto``
never shares mutable data. When a server is unreachable the test skips locally but fails in CI
(``CI=true``): a skipped database test in CI would hide a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Public sample databases (Chinook, Northwind) copied into the repo with their licences, so a fresh
# clone with nothing beside it runs the whole suite.
SAMPLE_DATA = Path(__file__).resolve().parent / "data"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
MY_HOST, MY_PORT, MY_USER = "127.0.0.1", 3306, "root"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}); start it as the README says"
    pytest.fail(message) if IN_CI else pytest.skip(message)  # CI: fail, never skip


def sample_file(*parts: str) -> Path:
    path = SAMPLE_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"missing sample data {path}: it is part of the repository (tests/data), restore it from git")
    return path


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_database(prefix: str = "anon_t") -> Iterator[str]:
    import psycopg

    name = _name(prefix)
    try:
        admin = psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL on 127.0.0.1:5432", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def mariadb_database(prefix: str = "anon_t") -> Iterator[str]:
    import pymysql

    name = _name(prefix)
    try:
        admin = pymysql.connect(host=MY_HOST, port=MY_PORT, user=MY_USER, password="", autocommit=True)
    except pymysql.err.OperationalError as exc:
        unavailable("MariaDB on 127.0.0.1:3306", exc)
        raise
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield f"mysql+pymysql://{MY_USER}@{MY_HOST}:{MY_PORT}/{name}?charset=utf8mb4"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def pg_rows(url: str, sql: str, search_path: str | None = None) -> list[tuple[object, ...]]:
    """The rows of one statement on a test database (committed), with ``search_path`` set if given."""
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database_name(url)) as conn:
        if search_path:
            conn.execute("SELECT set_config('search_path', %s, false)", (search_path,))
        return [tuple(r) for r in conn.execute(sql).fetchall()]   # type: ignore[arg-type]


def mariadb_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """The rows of one statement on a test database (autocommit)."""
    import pymysql

    conn = pymysql.connect(host=MY_HOST, port=MY_PORT, user=MY_USER, password="", database=database_name(url),
                           charset="utf8mb4", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


def run_psql(url: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER,
         "-d", database_name(url)],
        input=sql.encode(), check=True, capture_output=True,
    )


def run_mariadb(url: str, sql: str) -> None:
    subprocess.run(
        ["mariadb", "-h", MY_HOST, "-P", str(MY_PORT), "-u", MY_USER, "--default-character-set=utf8mb4",
         database_name(url)],
        input=sql.encode(), check=True, capture_output=True,
    )


def _from_first_create(sql: str) -> str:
    """Drop the script's own DROP/CREATE DATABASE and connect lines: we load into our database."""
    start = re.search(r"^CREATE TABLE", sql, flags=re.M | re.I)
    return sql[start.start():] if start else sql


def load_chinook_postgres(url: str) -> None:
    run_psql(url, _from_first_create(sample_file("chinook", "Chinook_PostgreSql.sql").read_text("utf-8")))


def load_chinook_mariadb(url: str) -> None:
    run_mariadb(url, _from_first_create(sample_file("chinook", "Chinook_MySql.sql").read_text("utf-8")))


def copy_chinook_sqlite(directory: Path) -> str:
    target = directory / "chinook.sqlite"
    shutil.copyfile(sample_file("chinook", "Chinook_Sqlite.sqlite"), target)
    return f"sqlite:///{target}"


def load_northwind_postgres(url: str) -> None:
    run_psql(url, sample_file("northwind", "northwind_postgres.sql").read_text("utf-8"))


def build_northwind_sqlite(directory: Path) -> str:
    target = directory / "northwind.sqlite"
    # One transaction: statement-by-statement commits make this script take a minute on a busy disk.
    conn = sqlite3.connect(target)
    try:
        conn.executescript("BEGIN;\n" + sample_file("northwind", "northwind_sqlite.sql").read_text("utf-8")
                           + "\nCOMMIT;")
    finally:
        conn.close()
    return f"sqlite:///{target}"
