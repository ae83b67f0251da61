"""Whole databases on the server a test run uses: check, create, clone, list, drop.

The names are made by ``provision.RunNames`` (lower-case letters, digits and ``_`` only), so they
are quoted but never need escaping. SQLite has no server: its "databases" are files in the run's
scratch directory.
"""

from __future__ import annotations

import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from anonymiser.errors import ConfigError, TargetError
from anonymiser.redact import db_error_text, scrub_db_message
from anonymiser.source.connect import create_engine, normalise_url, safe_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

CLONE_ATTEMPTS = 5          # PostgreSQL refuses a clone while anything is connected to the template
MYSQL_LOCK_WAIT_SECONDS = 30


class Server(ABC):
    """The place where one run's databases live."""

    backend: str

    @abstractmethod
    def check(self) -> None:
        """Connect once; a clear TargetError (exit 3 on the CLI) when the server cannot be used."""

    @abstractmethod
    def url_for(self, name: str) -> str:
        """SQLAlchemy URL of database ``name``."""

    @abstractmethod
    def create(self, name: str) -> str:
        """Create an empty database; returns its URL."""

    def clone(self, template: str, name: str) -> str:
        raise NotImplementedError(f"{self.backend} has no template databases")

    @abstractmethod
    def drop(self, name: str) -> None:
        """Drop database ``name`` if it exists."""

    @abstractmethod
    def names(self, prefix: str) -> list[str]:
        """Databases whose name starts with ``prefix``."""

    def describe(self) -> str:
        return self.backend

    def prepare(self) -> None:  # noqa: B027 - SQLite has no driver to load or server to reach
        """Load the database driver (its first import costs more than a template clone)."""

    def close(self) -> None:  # noqa: B027 - a server without admin connections has nothing to release
        """Release admin connections."""


class _SqlServer(Server):
    """PostgreSQL and MariaDB/MySQL: admin statements on an AUTOCOMMIT connection."""

    def __init__(self, url: str) -> None:
        self.url: URL = sa.engine.make_url(normalise_url(url))
        self._engine: sa.Engine | None = None

    def describe(self) -> str:
        return f"{self.backend} at {safe_url(self.url.render_as_string(hide_password=False))}"

    def message(self, exc: BaseException, *names: str) -> str:
        """The driver's first line, literals masked except the names we know (host, port, databases)."""
        known = [str(n) for n in (self.url.host, self.url.port, self.url.username, *names) if n]
        return scrub_db_message(db_error_text(exc), known) or type(exc).__name__

    @abstractmethod
    def admin_url(self) -> URL: ...

    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = create_engine(self.admin_url().render_as_string(hide_password=False), role="target") \
                .execution_options(isolation_level="AUTOCOMMIT")
        return self._engine

    @contextmanager
    def admin(self) -> Iterator[sa.Connection]:
        try:
            conn = self.engine().connect()
        except sa.exc.DBAPIError as exc:
            raise TargetError(
                f"cannot connect to {self.describe()}: {self.message(exc)}",
                hint="Start the server (see the README), or point --anonymiser-url / the ini key anonymiser_url "
                     "at one that runs; the URL names a server, not a database.",
            ) from None
        with conn:
            yield conn

    def check(self) -> None:
        with self.admin() as conn:
            conn.execute(sa.text("SELECT 1"))

    def prepare(self) -> None:
        self.engine()

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class PostgresServer(_SqlServer):
    backend = "postgresql"

    def admin_url(self) -> URL:
        # A database in the URL is used as the maintenance database (for users who cannot open 'postgres').
        return self.url.set(database=self.url.database or "postgres")

    def create(self, name: str) -> str:
        with self.admin() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return self.url_for(name)

    def seal_template(self, name: str) -> None:
        """No one may connect to the template (autovacuum included), so clones never find it busy."""
        with self.admin() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))

    def clone(self, template: str, name: str) -> str:
        for attempt in range(1, CLONE_ATTEMPTS + 1):
            try:
                with self.admin() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
                return self.url_for(name)
            except sa.exc.OperationalError as exc:
                busy = getattr(getattr(exc, "orig", None), "sqlstate", None) == "55006"   # object_in_use
                if not busy or attempt == CLONE_ATTEMPTS:
                    raise TargetError(f"cannot clone the template database {template!r}: "
                                      f"{self.message(exc, template, name)}",
                                      hint="Close any session connected to it and run the tests again.") from None
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def names(self, prefix: str) -> list[str]:
        with self.admin() as conn:
            query = sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)")
            rows = conn.execute(query, {"p": prefix})
            return sorted(r[0] for r in rows)


class MySQLServer(_SqlServer):
    backend = "mysql"

    def admin_url(self) -> URL:
        return self.url.set(database=None)

    def create(self, name: str) -> str:
        with self.admin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            # A crashed worker's open transaction would otherwise hold the drop for lock_wait_timeout (a day).
            conn.execute(sa.text(f"SET SESSION lock_wait_timeout = {MYSQL_LOCK_WAIT_SECONDS}"))
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))

    def names(self, prefix: str) -> list[str]:
        with self.admin() as conn:
            rows = conn.execute(sa.text("SELECT schema_name FROM information_schema.schemata "
                                        "WHERE LEFT(schema_name, :n) = :p"), {"n": len(prefix), "p": prefix})
            return sorted(r[0] for r in rows)


class SQLiteFiles(Server):
    """SQLite: one file per database in the run's scratch directory."""

    backend = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def describe(self) -> str:
        return f"SQLite files in {self.directory}"

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.sqlite"

    def check(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def url_for(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}"

    def create(self, name: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path(name).unlink(missing_ok=True)
        return self.url_for(name)

    def clone(self, template: str, name: str) -> str:
        shutil.copyfile(self.path(template), self.path(name))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path(name)}{suffix}").unlink(missing_ok=True)

    def names(self, prefix: str) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob(f"{prefix}*.sqlite"))


def open_server(url: str | None, directory: Path) -> PostgresServer | MySQLServer | SQLiteFiles:
    """The server named by ``--anonymiser-url`` (None: SQLite files under ``directory``)."""
    if url is None:
        return SQLiteFiles(directory)
    backend = sa.engine.make_url(normalise_url(url)).get_backend_name()
    if backend == "postgresql":
        return PostgresServer(url)
    if backend in ("mysql", "mariadb"):
        return MySQLServer(url)
    if backend == "sqlite":
        raise ConfigError("--anonymiser-url names a SQLite database",
                          hint="Leave --anonymiser-url unset for SQLite: each worker then gets its own file under "
                               "pytest's temporary directory.")
    raise ConfigError(f"the anonymiser plugin cannot create databases on {backend!r}",
                      hint="Use postgresql://user@host:5432 or mysql://user@host:3306, or leave the URL unset "
                           "for SQLite files.")
