"""One snapshot of a PostgreSQL source for every read of a run, as ``pg_dump`` takes one.

A run reads the source over several connections: the main one (schema, subset, server-side cursors), the
bulk (ADBC) reader, and the forked readers of the masking inputs and the verification. On a live database
each would otherwise see its own moment: a child row committed between the read of its parent table and
its own would reach the copy without its parent, and the foreign-key gate would fail a monthly refresh
now and then. ``shared_snapshot`` holds one REPEATABLE READ transaction open on a connection of its own,
exports its snapshot, and every source transaction begun meanwhile (in this process or a forked one)
imports it. Holding it open keeps VACUUM from removing rows deleted since, as ``pg_dump`` does.

MySQL/MariaDB cannot share a snapshot between connections; SQLite sources are files: both read as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from anonymiser.errors import SourceError

if TYPE_CHECKING:
    import sqlalchemy as sa

_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(?:-[0-9A-Fa-f]+)+")
# (the source's address, the exported snapshot id) while a run holds one; forked processes inherit it.
_ACTIVE: tuple[tuple[Any, ...], str] | None = None


def _address(engine: sa.Engine) -> tuple[Any, ...]:
    url = engine.url
    return url.get_backend_name(), url.host, url.port, url.database, url.username


def active_snapshot(engine: sa.Engine) -> str | None:
    """The snapshot every transaction on ``engine``'s source imports now, if one is held for it."""
    if _ACTIVE is None or engine.url.get_backend_name() != "postgresql" or _ACTIVE[0] != _address(engine):
        return None
    return _ACTIVE[1]


def import_statements(snapshot: str) -> tuple[str, str]:
    """The first two statements of a transaction that reads ``snapshot``."""
    return "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", f"SET TRANSACTION SNAPSHOT '{snapshot}'"


IMPORT_FAILED_HINT = ("A connection pooler in transaction mode (PgBouncer) hands each transaction to another "
                      "server session, where the snapshot does not exist: connect to the server directly.")


def _importer(snapshot: str) -> Callable[[Any], None]:
    import sqlalchemy as sa  # heavy: imported on first use

    def begin(connection: Any) -> None:
        try:
            for statement in import_statements(snapshot):
                connection.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:   # the driver's text is not shown: only its class
            raise SourceError(f"a source connection cannot read the run's snapshot "
                              f"({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
                              hint=IMPORT_FAILED_HINT) from None
    return begin


def follow_snapshot(engine: sa.Engine) -> None:
    """Make every transaction begun on ``engine`` import the held snapshot (no-op when none is held)."""
    import sqlalchemy as sa  # heavy: imported on first use

    snapshot = active_snapshot(engine)
    if snapshot is not None:
        sa.event.listen(engine, "begin", _importer(snapshot))


@contextmanager
def shared_snapshot(conn: sa.Connection, warn: Callable[[str], None]) -> Iterator[str | None]:
    """Hold one snapshot of ``conn``'s PostgreSQL source for the block; yields its id, or None where the source
    cannot share one (``warn`` says why when it is PostgreSQL: e.g. a pooler in transaction mode)."""
    import sqlalchemy as sa  # heavy: imported on first use

    global _ACTIVE
    if conn.dialect.name != "postgresql" or _ACTIVE is not None:
        yield None
        return
    holder = None
    try:
        holder = conn.engine.raw_connection()   # a connection of its own (the server may refuse one more)
        cursor = holder.cursor()
        # It sits idle in its transaction all run: a server-wide idle timeout would end it, and the snapshot.
        cursor.execute("SET idle_in_transaction_session_timeout = 0")
        holder.commit()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        row = cursor.fetchone()
        snapshot = str(row[0]) if row else ""
        cursor.close()
        if not _SNAPSHOT_ID.fullmatch(snapshot):
            raise ValueError("unexpected snapshot id")
    except Exception as exc:   # the driver's text may quote the server's: only the class is shown
        if holder is not None:
            holder.close()
        warn(f"the source cannot export a snapshot ({type(exc).__name__}): tables are read each at its own "
             "moment, so rows written to the source during the run may break its foreign keys in the copy")
        yield None
        return
    if conn.in_transaction():
        conn.rollback()       # read-only: the next transaction begins with the snapshot
    begin = _importer(snapshot)
    sa.event.listen(conn.engine, "begin", begin)
    _ACTIVE = (_address(conn.engine), snapshot)
    try:
        yield snapshot
    finally:
        _ACTIVE = None
        sa.event.remove(conn.engine, "begin", begin)
        if conn.in_transaction():
            conn.rollback()
        try:
            holder.rollback()
        finally:
            holder.close()
