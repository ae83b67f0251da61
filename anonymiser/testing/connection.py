"""The worker's engine, and the per-test connection whose transaction is always rolled back.

``SavepointConnection`` is a SQLAlchemy ``Connection`` (so ``Session(bind=conn)`` and every Core API
take it) whose transaction control, when the code under test uses it, works on SAVEPOINTs inside the
test's own transaction: ``commit()`` releases the current savepoint and opens the next, ``rollback()``
rolls back to it, ``begin()`` opens a nested savepoint, ``close()`` is left to the fixture. An ORM
``Session`` bound to it joins with a savepoint as well (SQLAlchemy's ``conservative_savepoint`` mode
sees a connection inside a SAVEPOINT). The fixture then rolls the whole transaction back.

What a rollback cannot undo: DDL on MariaDB/MySQL (it commits implicitly), and a literal ``COMMIT``
sent as SQL text. Both are documented in the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from anonymiser.source.connect import create_engine


def worker_engine(url: str) -> sa.Engine:
    """An engine on a worker's database; SQLite gets foreign keys on and real SAVEPOINTs."""
    engine = create_engine(url, role="target")
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT: SQLAlchemy's documented recipe
            # (isolation_level None, BEGIN on "begin") gives transactions that nest as on servers.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN")
    return engine


class SavepointConnection(sa.Connection):
    """A Connection held in one outer transaction; its own transaction calls become SAVEPOINTs."""

    _held = False

    def hold(self) -> None:
        """Begin the outer transaction (the fixture's) and the first savepoint."""
        super().begin()
        super().begin_nested()
        self._held = True

    def begin(self) -> sa.Transaction:  # type: ignore[override]  # a SAVEPOINT while held, by design
        return self.begin_nested() if self._held else super().begin()

    def commit(self) -> None:
        if not self._held:
            super().commit()
            return
        self._unwind(commit=True)

    def rollback(self) -> None:
        if not self._held:
            super().rollback()
            return
        self._unwind(commit=False)

    def _unwind(self, *, commit: bool) -> None:
        """Release (or roll back to) every open savepoint, then open the next one."""
        while self.in_nested_transaction():
            nested = self.get_nested_transaction()
            if nested is None:
                break
            if commit:
                nested.commit()
            else:
                nested.rollback()
        if not self.in_transaction():      # the code under test ended the outer transaction itself
            super().begin()
        super().begin_nested()

    def close(self) -> None:
        if not self._held:
            super().close()

    def release(self) -> None:
        """Roll the outer transaction back (everything the test wrote) and close."""
        self._held = False
        try:
            transaction = self.get_transaction()
            if transaction is not None and transaction.is_active:
                transaction.rollback()
            elif self.in_transaction():
                super().rollback()
        finally:
            super().close()


@contextmanager
def rolled_back(engine: sa.Engine) -> Iterator[SavepointConnection]:
    """A connection in a transaction that is rolled back when the block ends, however it ends."""
    conn = SavepointConnection(engine)
    try:
        conn.hold()
        yield conn
    finally:
        conn.release()
