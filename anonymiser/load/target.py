"""Driver-level writing into each kind of target database, with errors that never quote a value."""

from __future__ import annotations

import secrets
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from anonymiser.errors import TargetError
from anonymiser.redact import scrub_db_message
from anonymiser.schema import ViewInfo
from anonymiser.write.sql.core import Dialect, Rendered, TablePlan
from anonymiser.write.sql.postgresql import PostgreSQL

if TYPE_CHECKING:
    import sqlalchemy as sa

Write = Callable[[Rendered], None]


def describe(exc: BaseException) -> str:
    """Error class and code: driver messages can quote row values, so never the message itself."""
    parts = [type(exc).__name__]
    code = getattr(exc, "sqlstate", None) or getattr(exc, "sqlite_errorname", None)
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if code is None and args and isinstance(args[0], int):
        code = args[0]    # PyMySQL: (errno, message)
    if code is not None:
        parts.append(str(code))
    constraint = getattr(getattr(exc, "diag", None), "constraint_name", None)
    if constraint:
        parts.append(f"constraint {constraint}")
    return " ".join(parts)


def _first_line(exc: BaseException, names: set[str]) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    text = str(args[1] if len(args) > 1 and isinstance(args[0], int) else exc).strip()
    return scrub_db_message(text, names) if text else ""


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait while a clean-up runs (a second Ctrl-C must not stop it half-way); they are
    delivered when it ends."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Target:
    """One target connection: run the dialect's statements through the driver, parents first."""

    undo_hint = "Nothing was changed in the target database (the transaction was rolled back)."

    def __init__(self, conn: sa.Connection, dialect: Dialect, names: set[str] | None = None) -> None:
        self.dialect = dialect
        raw: Any = conn.connection.dbapi_connection
        self.conn = conn
        self.raw = raw
        self.cursor: Any = raw.cursor()
        self.names = names or set()     # table and column names: shown in DDL messages, every literal masked

    def execute(self, statement: str | bytes) -> None:
        self.cursor.execute(statement)

    @contextmanager
    def errors(self, phase: str, table: str | None = None, *, schema_message: bool = False) -> Iterator[None]:
        driver_errors = self.driver_errors()
        try:
            yield
        except driver_errors as exc:
            # DDL messages name tables and types, never rows: they are shown; data errors are not.
            detail = f": {_first_line(exc, self.names)}" if schema_message else ""
            raise TargetError(f"{phase} failed ({describe(exc)}){detail}", table=table,
                              hint=self.undo_hint) from None

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            for statement in self.dialect.session():
                self.execute(statement)
            for name in drop:
                self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)}")

    def existing_objects(self) -> frozenset[str]:
        """Names of types and sequences the target already has (PostgreSQL): not created again."""
        return frozenset()

    def drop_views(self, views: list[ViewInfo]) -> None:
        with self.errors("dropping views", schema_message=True):
            for view in views:
                kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
                self.execute(f"DROP {kind} IF EXISTS {self.dialect.quote(view.name)}")

    def ddl(self, statements: list[str], phase: str = "creating tables") -> None:
        for statement in statements:
            with self.errors(phase, schema_message=True):
                self.execute(statement)

    def start_data(self) -> None:
        return None

    def end_data(self) -> None:
        return None

    @contextmanager
    def table(self, plan: TablePlan) -> Iterator[Write]:
        def write(rendered: Rendered) -> None:
            for statement in rendered.statements():
                self.execute(statement)

        with self.errors("loading rows", plan.name):
            yield write

    def commit(self) -> None:
        with self.errors("committing"):
            self.raw.commit()

    def abort(self, created: list[str]) -> None:
        with signals_held():
            try:
                self.raw.rollback()
            except self.driver_errors():
                # Interrupted mid-statement or killed: drop the connection (the server rolls the transaction
                # back when it goes) rather than hand a broken one back to the pool.
                self.conn.invalidate()

    def fresh(self) -> None:
        """Continue on a new connection (after an interrupt left the current one mid-statement)."""
        self.conn.invalidate()
        raw: Any = self.conn.engine.raw_connection().dbapi_connection
        self.raw, self.cursor = raw, raw.cursor()


class PostgresTarget(Target):
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import psycopg  # driver of one target dialect: imported when that dialect is used

        return (psycopg.Error,)

    def existing_objects(self) -> frozenset[str]:
        with self.errors("reading the target's catalogue"):
            self.execute("SELECT typname FROM pg_type WHERE typnamespace = current_schema()::regnamespace "
                         "UNION SELECT relname FROM pg_class WHERE relkind = 'S' "
                         "AND relnamespace = current_schema()::regnamespace")
            return frozenset(row[0] for row in self.cursor.fetchall())

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            for statement in self.dialect.session():
                self.execute(statement)
            if drop:   # in the same transaction as the load: replaced all or not at all; never CASCADE
                self.execute("DROP TABLE IF EXISTS " + ", ".join(self.dialect.quote(n) for n in drop))

    @contextmanager
    def table(self, plan: TablePlan) -> Iterator[Write]:
        assert isinstance(self.dialect, PostgreSQL)
        with self.errors("loading rows", plan.name), self.cursor.copy(self.dialect.copy_statement(plan)) as copy:
            yield lambda rendered: copy.write(rendered.script())


class MySQLTarget(Target):
    """DDL commits in MySQL, so a load cannot be one transaction: tables it replaces are first renamed aside
    (one atomic RENAME), dropped only once the load has committed, and renamed back if it fails; tables it
    created are dropped again."""

    undo_hint = "The target is as it was: tables this load created were dropped, tables it replaced restored."

    def __init__(self, conn: sa.Connection, dialect: Dialect, names: set[str] | None = None) -> None:
        super().__init__(conn, dialect, names)
        self.aside: dict[str, str] = {}     # replaced table -> its name while the load runs
        self.aside_fks: list[str] = []      # ADD CONSTRAINT statements that restore the replaced tables' FKs
        self.aside_views: list[str] = []    # CREATE VIEW statements of the views dropped for the load

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import pymysql  # driver of one target dialect: imported when that dialect is used

        return (pymysql.err.Error,)

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            for statement in self.dialect.session():
                self.execute(statement)
            if drop:
                token = secrets.token_hex(4)
                aside = {name: f"{name[:40]}__anon_replaced_{token}" for name in drop}
                fks = self._foreign_keys(drop)
                self.execute("RENAME TABLE " + ", ".join(f"{self.dialect.quote(a)} TO {self.dialect.quote(b)}"
                                                         for a, b in aside.items()))
                self.aside = aside
                # Constraint names are per database: the set-aside tables give theirs up to the new tables.
                self.execute("SET SESSION foreign_key_checks = 0")
                for table, name, restore in fks:
                    self.execute(f"ALTER TABLE {self.dialect.quote(aside[table])} "
                                 f"DROP FOREIGN KEY {self.dialect.quote(name)}")
                    self.aside_fks.append(restore)
                self.execute("SET SESSION foreign_key_checks = 1")

    def drop_views(self, views: list[ViewInfo]) -> None:
        """Dropped as the base class does, their definitions kept so a failed load can put them back."""
        with self.errors("dropping views", schema_message=True):
            for name in (v.name for v in views):
                self.cursor.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
                                    "AND TABLE_NAME = %s", (name,))
                if self.cursor.fetchone()[0]:
                    self.execute(f"SHOW CREATE VIEW {self.dialect.quote(name)}")
                    self.aside_views.append(self.cursor.fetchone()[1])
                    self.execute(f"DROP VIEW {self.dialect.quote(name)}")

    def _foreign_keys(self, tables: list[str]) -> list[tuple[str, str, str]]:
        """(table, constraint, ADD CONSTRAINT statement) for the foreign keys of ``tables``."""
        marks = ", ".join(["%s"] * len(tables))
        self.cursor.execute(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,"
            " r.UPDATE_RULE, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
            f"WHERE k.CONSTRAINT_SCHEMA = DATABASE() AND k.TABLE_NAME IN ({marks}) "
            "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION", tables)
        grouped: dict[tuple[str, str], list[Any]] = {}
        for table, name, column, ref_table, ref_column, on_update, on_delete in self.cursor.fetchall():
            grouped.setdefault((table, name), []).append((column, ref_table, ref_column, on_update, on_delete))
        q = self.dialect.quote
        out = []
        for (table, name), rows in grouped.items():
            columns = ", ".join(q(r[0]) for r in rows)
            ref_columns = ", ".join(q(r[2]) for r in rows)
            out.append((table, name, f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} FOREIGN KEY ({columns}) "
                                     f"REFERENCES {q(rows[0][1])} ({ref_columns}) ON UPDATE {rows[0][3]} "
                                     f"ON DELETE {rows[0][4]}"))
        return out

    def start_data(self) -> None:
        self.execute("START TRANSACTION")

    def end_data(self) -> None:
        with self.errors("committing"):
            self.raw.commit()

    def commit(self) -> None:
        super().commit()
        self.aside_views = []
        if self.aside:   # the new tables are in place: the replaced ones can go
            with self.errors("dropping the replaced tables", schema_message=True):
                self._drop(list(self.aside.values()))
            self.aside = {}

    def _drop(self, names: list[str]) -> None:
        if names:
            self.execute("SET SESSION foreign_key_checks = 0")
            self.execute("DROP TABLE IF EXISTS " + ", ".join(self.dialect.quote(n) for n in names))
            self.execute("SET SESSION foreign_key_checks = 1")

    def abort(self, created: list[str]) -> None:
        with signals_held():
            try:
                self.raw.rollback()
            except self.driver_errors():
                self.fresh()   # interrupted mid-statement: the connection cannot take another command
            try:
                self._drop(created)
                if self.aside:
                    self.execute("RENAME TABLE " + ", ".join(f"{self.dialect.quote(b)} TO {self.dialect.quote(a)}"
                                                             for a, b in self.aside.items()))
                    self.execute("SET SESSION foreign_key_checks = 0")
                    for statement in self.aside_fks:
                        self.execute(statement)
                    self.execute("SET SESSION foreign_key_checks = 1")
                for statement in self.aside_views:
                    self.execute(statement)
            except self.driver_errors():
                pass   # the server is gone: nothing more can be undone from here


class SQLiteTarget(Target):
    undo_hint = "Nothing was loaded (the transaction was rolled back)."

    def __init__(self, conn: sa.Connection, dialect: Dialect, names: set[str] | None = None) -> None:
        super().__init__(conn, dialect, names)
        self.saved_isolation = self.raw.isolation_level
        self.raw.isolation_level = None   # we issue BEGIN/COMMIT ourselves, DDL included
        self.views_to_drop: list[str] = []

    def drop_views(self, views: list[ViewInfo]) -> None:
        self.views_to_drop = [v.name for v in views]   # in the load's transaction (begin): a failed load keeps them

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def execute(self, statement: str | bytes) -> None:
        self.cursor.execute(statement.decode("utf-8") if isinstance(statement, bytes) else statement)

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            for statement in self.dialect.session():
                self.execute(statement)
            self.execute("BEGIN")
            for name in self.views_to_drop:
                self.execute(f"DROP VIEW IF EXISTS {self.dialect.quote(name)}")
            if drop:
                # Dropped in the load's transaction (replaced all or not at all); their foreign keys checked at
                # COMMIT while they go, as the dataset's tables may reference each other in a cycle.
                self.execute("PRAGMA defer_foreign_keys = ON")
                for name in drop:
                    self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)}")
                self.execute("PRAGMA defer_foreign_keys = OFF")

    def commit(self) -> None:
        try:
            with self.errors("committing"):
                self.execute("COMMIT")
        finally:
            self.raw.isolation_level = self.saved_isolation

    def abort(self, created: list[str]) -> None:
        with signals_held():
            try:
                if self.raw.in_transaction:
                    self.execute("ROLLBACK")
            finally:
                self.raw.isolation_level = self.saved_isolation


def open_target(conn: sa.Connection, dialect: Dialect, names: set[str] | None = None) -> Target:
    kinds: dict[str, type[Target]] = {"postgresql": PostgresTarget, "mysql": MySQLTarget, "sqlite": SQLiteTarget}
    return kinds[dialect.name](conn, dialect, names)
