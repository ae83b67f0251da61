from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dbs


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database dropped after the test."""
    with dbs.postgres_database() as url:
        yield url


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """URL of a fresh, empty MariaDB database dropped after the test."""
    with dbs.mariadb_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'source.sqlite'}"


@pytest.fixture
def chinook_sqlite(tmp_path: Path) -> str:
    return dbs.copy_chinook_sqlite(tmp_path)


@pytest.fixture
def chinook_pg(pg_url: str) -> str:
    dbs.load_chinook_postgres(pg_url)
    return pg_url


@pytest.fixture
def chinook_mariadb(mariadb_url: str) -> str:
    dbs.load_chinook_mariadb(mariadb_url)
    return mariadb_url


@pytest.fixture
def northwind_sqlite(tmp_path: Path) -> str:
    return dbs.build_northwind_sqlite(tmp_path)


@pytest.fixture
def northwind_pg(pg_url: str) -> str:
    dbs.load_northwind_postgres(pg_url)
    return pg_url
