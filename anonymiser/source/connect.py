"""Opening databases from SQLAlchemy URLs, with errors that never show a password.

Source connections are read-only sessions (``PRAGMA query_only`` on SQLite, a read-only default
transaction on PostgreSQL and MySQL/MariaDB): a hostile ``where:`` in a policy cannot write.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from anonymiser.errors import ConfigError, SourceError, TargetError
from anonymiser.redact import db_error_text, remember_url, repair_url, safe_url, scrub_db_message
from anonymiser.source.snapshot import follow_snapshot

if TYPE_CHECKING:
    import sqlalchemy as sa

SOURCE_ENV = "ANONYMISER_SOURCE_URL"

# Short driver-neutral names users may type; SQLAlchemy's own names work too.
_DRIVER_DEFAULTS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql",
                    "mariadb": "mysql+pymysql"}


def normalise_url(url: str) -> str:
    from sqlalchemy.engine import make_url  # heavy (~0.3 s): imported on first use
    from sqlalchemy.exc import ArgumentError  # heavy (~0.3 s): imported on first use

    remember_url(url)
    try:
        parsed = make_url(repair_url(url))
    except ArgumentError:
        raise ConfigError(
            "the database URL is not a valid SQLAlchemy URL",
            hint="Examples: sqlite:///prod.sqlite, postgresql://user@host:5432/db, mysql://user@host:3306/db",
        ) from None
    driver = _DRIVER_DEFAULTS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)


def resolve_source_url(url: str | None, policy_source: str | None = None) -> str:
    chosen = url or os.environ.get(SOURCE_ENV) or policy_source
    remember_url(chosen)
    if not chosen:
        raise ConfigError(
            "no source database given",
            hint=f"Pass --source URL, set {SOURCE_ENV}, or set 'source: ${{{SOURCE_ENV}}}' in the policy.",
        )
    return chosen


def create_engine(url: str, *, role: str = "source") -> sa.Engine:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    error = SourceError if role == "source" else TargetError
    normalised = normalise_url(url)
    try:
        engine = sa.create_engine(normalised, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError(
            f"cannot use the {role} URL {safe_url(url)}: {type(exc).__name__}",
            hint="Check the dialect and driver; supported: sqlite, postgresql (psycopg), mysql/mariadb (pymysql).",
        ) from None
    except ImportError as exc:  # a driver that is not installed
        raise error(f"the driver for {safe_url(url)} is not installed ({exc.name})") from None
    if role == "source":
        sa.event.listen(engine, "connect", _read_only)
        follow_snapshot(engine)   # a forked reader's own engine reads the run's snapshot too
    return engine


_READ_ONLY = {"sqlite": "PRAGMA query_only = ON", "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
              "mysql": "SET SESSION TRANSACTION READ ONLY"}


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    """Every source session is read-only: the tool never writes to a source, so nothing in a policy can."""
    module = type(dbapi_connection).__module__.split(".", 1)[0]
    dialect = {"sqlite3": "sqlite", "psycopg": "postgresql", "pymysql": "mysql"}.get(module)
    if dialect is None:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_READ_ONLY[dialect])
    finally:
        cursor.close()
    if dialect == "postgresql" and not dbapi_connection.autocommit:
        dbapi_connection.commit()


@contextmanager
def connect(url: str, *, role: str = "source") -> Iterator[sa.Connection]:
    """A connection; connection failures become SourceError/TargetError (exit 3), password masked."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    error = SourceError if role == "source" else TargetError
    engine = create_engine(url, role=role)
    database = engine.url.database
    if role == "source" and engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:") \
            and not database.startswith("file:") and not os.path.isfile(database):
        engine.dispose()
        # SQLite would silently create an empty database, and every table would look "missing".
        raise SourceError(f"the SQLite source file does not exist: {database}",
                          hint="Check the path: sqlite:///relative/path.sqlite or sqlite:////absolute/path.sqlite")
    try:
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as exc:
            # The first line of the driver's text, its literals masked but the URL's own names kept.
            names = [str(n) for n in (engine.url.host, engine.url.port, engine.url.database, engine.url.username) if n]
            detail = scrub_db_message(db_error_text(exc), names) if exc.orig is not None else type(exc).__name__
            raise error(
                f"cannot connect to the {role} database {safe_url(url)}: {detail}",
                hint="Check that the server is running and reachable, and the user, database name and credentials.",
            ) from None
        with conn:
            yield conn
    finally:
        engine.dispose()


def readable_elsewhere(conn: sa.Connection) -> bool:
    """Whether another connection to the source reads the same data: a database server, or an SQLite file
    (not an in-memory database)."""
    if conn.dialect.name in ("postgresql", "mysql", "mariadb"):
        return True
    database = conn.engine.url.database or ""
    return conn.dialect.name == "sqlite" and not database.startswith("file:") and os.path.isfile(database)


@contextmanager
def reconnect(conn: sa.Connection) -> Iterator[sa.Connection]:
    """In a forked process: a connection of its own to ``conn``'s database, made by the same engine (so with
    the same read-only session). The connections the engine's pool inherited belong to the parent: they are
    dropped from this process's pool without being closed (closing would end the parent's sessions)."""
    conn.engine.dispose(close=False)
    with conn.engine.connect() as own:
        yield own


def database_identity(conn: sa.Connection) -> str | None:
    """A digest naming the database ``conn`` is on, whatever URL reached it (``localhost`` or ``127.0.0.1``,
    an alias, a relative path): PostgreSQL's cluster system identifier and database, MySQL/MariaDB's server
    host name, port and schema, SQLite's file. ``load`` compares it with the run's source to refuse
    overwriting the database a copy was made from. None when the server will not say."""
    import sqlalchemy as sa  # heavy: imported on first use

    parts: tuple[Any, ...]
    try:
        if conn.dialect.name == "postgresql":
            parts = tuple(conn.execute(sa.text("SELECT (SELECT system_identifier FROM pg_control_system())::text, "
                                               "current_database(), current_setting('port')")).one())
        elif conn.dialect.name in ("mysql", "mariadb"):
            parts = tuple(conn.execute(sa.text("SELECT @@hostname, @@port, DATABASE()")).one())
        elif conn.dialect.name == "sqlite":
            database = conn.engine.url.database
            if database in (None, "", ":memory:") or database.startswith("file:"):
                return None
            parts = (os.path.realpath(database),)
        else:
            return None
    except sa.exc.DBAPIError:
        conn.rollback()       # e.g. pg_control_system() not granted: no identity, nothing refused
        return None
    text = "\x1f".join([conn.dialect.name, *(str(p) for p in parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]
