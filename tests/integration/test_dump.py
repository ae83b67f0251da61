"""Each dialect's dump loads with the real client (psql, mariadb, sqlite3) into the real server, with
foreign keys enforced, and holds exactly the rows of the Parquet output (per-table checksums)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from anonymiser.load.checksum import database_checksums, parquet_checksums
from anonymiser.write.manifest import Manifest
from anonymiser.write.sql import write_dump
from tests import dbs
from tests.unit.write_sql import dataset

TARGET_FIXTURE = {"postgresql": "pg_url", "mysql": "mariadb_url", "sqlite": "sqlite_url"}


def run_client(dialect: str, url: str, script: Path) -> subprocess.CompletedProcess[bytes]:
    """The dump through the dialect's own command-line client, as a test team would load it."""
    if dialect == "postgresql":
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dbs.PG_HOST, "-p", str(dbs.PG_PORT),
                   "-U", dbs.PG_USER, "-d", dbs.database_name(url), "-f", str(script)]
        return subprocess.run(command, capture_output=True)
    if dialect == "mysql":
        command = ["mariadb", "-h", dbs.MY_HOST, "-P", str(dbs.MY_PORT), "-u", dbs.MY_USER,
                   "--default-character-set=utf8mb4", dbs.database_name(url)]
    else:
        command = ["sqlite3", sa.make_url(url).database or ""]
    with script.open("rb") as handle:
        return subprocess.run(command, stdin=handle, capture_output=True)


def checksums_of(url: str, directory: Path, manifest: Manifest) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(database_checksums(conn, directory, manifest))
    finally:
        engine.dispose()


def orphan_rejected(url: str, statement: str) -> bool:
    """True when the database refuses a row whose parent does not exist (the FKs are really there)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)  # autocommit
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(statement)   # a deferred FK is checked when this implicit transaction ends
            return False
        except sqlite3.IntegrityError:
            return True
        finally:
            conn.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
            conn.rollback()
            return False
    except sa.exc.IntegrityError:
        return True
    finally:
        engine.dispose()


def _quoted(dialect: str, name: str) -> str:
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def load_and_compare(dialect: str, target: str, out: Path, manifest: Manifest) -> None:
    script = write_dump(out, manifest, dialect)
    assert script == out / "sql" / f"{dialect}.sql"
    assert not [p for p in script.parent.iterdir() if p.name.startswith(".")], "temporary file left behind"
    loaded = run_client(dialect, target, script)
    assert loaded.returncode == 0, loaded.stderr.decode(errors="replace")[-2000:]
    expected = parquet_checksums(out, manifest)
    assert checksums_of(target, out, manifest) == expected
    assert sum(c.rows for c in expected.values()) == sum(e.rows for e in manifest.tables.values())


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_nasty_dump_loads_with_the_client(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    manifest = dataset.nasty(tmp_path)
    load_and_compare(dialect, target, tmp_path, manifest)
    q = lambda name: _quoted(dialect, name)  # noqa: E731
    # Every FK is enforced after the load: inline ones, the cycle's and the self-reference (added after).
    assert orphan_rejected(target, f"INSERT INTO {q('order')} ({q('order id')}, {q('user')}) VALUES (99, 999)")
    assert orphan_rejected(target, f"INSERT INTO {q('Dept')} ({q('code')}, {q('manager')}) VALUES ('X', 999)")
    assert orphan_rejected(
        target, f"INSERT INTO {q('employee ā')} ({q('id')}, {q('dept')}, {q('mentor')}) VALUES (99, 'HR', 999)")
    assert orphan_rejected(target, f"INSERT INTO {q('pair child')} ({q('id')}, {q('pa')}, {q('pb')}) "
                                   "VALUES (99, 'x', 3)")
    # Case-only-different values stay distinct in a UNIQUE column, and it is still enforced.
    assert orphan_rejected(target, f"INSERT INTO {q('user')} ({q('id')}, {q('Email')}) VALUES (50, 'a@x.nz')")


def _sqlite_source(name: str) -> Callable[[Path], str]:
    return lambda directory: (dbs.copy_chinook_sqlite(directory) if name == "chinook"
                              else dataset.northwind_sqlite(directory))


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize("sample", ["chinook", "northwind"])
def test_sample_database_dump_loads(sample: str, dialect: str, tmp_path: Path,
                                    request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    source_dir = tmp_path / "source"
    source_dir.mkdir()
    out = tmp_path / "out"
    manifest = dataset.from_database(_sqlite_source(sample)(source_dir), out)
    load_and_compare(dialect, target, out, manifest)


@pytest.mark.slow
@pytest.mark.parametrize(("source_fixture", "dialect"), [
    pytest.param("chinook_pg", "mysql", id="postgresql-to-mysql"),
    pytest.param("chinook_mariadb", "sqlite", id="mariadb-to-sqlite"),
    pytest.param("northwind_pg", "sqlite", id="northwind-postgresql-to-sqlite"),
])
def test_cross_dialect_dump(source_fixture: str, dialect: str, tmp_path: Path,
                            request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(source_fixture)
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    out = tmp_path / "out"
    manifest = dataset.from_database(source, out)
    load_and_compare(dialect, target, out, manifest)


def test_special_floats_survive_in_postgresql(tmp_path: Path, pg_url: str) -> None:
    manifest = dataset.special_floats(tmp_path)
    load_and_compare("postgresql", pg_url, tmp_path, manifest)
