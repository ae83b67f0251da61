from __future__ import annotations

import signal
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


def pytest_configure(config: pytest.Config) -> None:
    """Tests run as from a terminal. A test run launched in the background by a non-interactive shell (``cmd &``,
    as CI scripts do) can start with SIGINT ignored (a CI run showed it in an xdist worker: the notebook tests
    found it so, and left Python's handler); every process a test started would inherit that."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def _signals_left_as_found() -> Iterator[None]:
    """A test must leave this process's SIGINT and SIGTERM as it found them: ignored or blocked here, they
    are ignored or blocked in every process a later test starts (a pytest session under test then cannot be
    interrupted, and hangs). A test that changed them fails, naming what it left; they are restored."""
    before = {s: signal.getsignal(s) for s in _SIGNALS}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    after = {s: signal.getsignal(s) for s in _SIGNALS}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    for s, handler in before.items():
        signal.signal(s, handler if handler is not None else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    changed = {signal.Signals(s).name: str(after[s]) for s in _SIGNALS if after[s] != before[s]}
    assert not changed and blocked == mask, f"the test left signal handlers {changed}, blocked {sorted(blocked)}"
