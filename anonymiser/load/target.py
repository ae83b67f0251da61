"""Driver-level writing into each kind of target database, with errors that never quote a value."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from anonymiser.errors import TargetError
from anonymiser.write.sql.core import Dialect, Rendered, TablePlan

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


def _first_line(exc: BaseException) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    text = str(args[1] if len(args) > 1 and isinstance(args[0], int) else exc).strip()
    return text.splitlines()[0] if text else ""


class Target:
    """One target connection: run the dialect's statements through the driver, parents first."""

    undo_hint = "Nothing was changed in the target database (the transaction was rolled back)."

    def __init__(self, conn: sa.Connection, dialect: Dialect) -> None:
        self.dialect = dialect
        raw: Any = conn.connection.dbapi_connection
        self.raw = raw
        self.cursor: Any = raw.cursor()

    def execute(self, statement: str | bytes) -> None:
        self.cursor.execute(statement)

    @contextmanager
    def errors(self, phase: str, table: str | None = None, *, schema_message: bool = False) -> Iterator[None]:
        driver_errors = self.driver_errors()
        try:
            yield
        except driver_errors as exc:
            # DDL messages name tables and types, never rows: they are shown; data errors are not.
            detail = f": {_first_line(exc)}" if schema_message else ""
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

    def drop_views(self, names: list[str]) -> None:
        with self.errors("dropping views", schema_message=True):
            for name in names:
                self.execute(f"DROP VIEW IF EXISTS {self.dialect.quote(name)}")

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
        self.raw.rollback()


class PostgresTarget(Target):
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import psycopg

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
            for name in drop:   # in the same transaction as the load: replaced all or not at all
                self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)} CASCADE")

    @contextmanager
    def table(self, plan: TablePlan) -> Iterator[Write]:
        from anonymiser.write.sql.postgresql import PostgreSQL

        assert isinstance(self.dialect, PostgreSQL)
        with self.errors("loading rows", plan.name), self.cursor.copy(self.dialect.copy_statement(plan)) as copy:
            yield lambda rendered: copy.write(rendered.script())


class MySQLTarget(Target):
    undo_hint = "Tables this load created were dropped again; tables it replaced are gone (MySQL DDL commits)."

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import pymysql

        return (pymysql.err.Error,)

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            for statement in self.dialect.session():
                self.execute(statement)
            if drop:
                self.execute("SET SESSION foreign_key_checks = 0")
                for name in drop:
                    self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)}")
                self.execute("SET SESSION foreign_key_checks = 1")

    def start_data(self) -> None:
        self.execute("START TRANSACTION")

    def end_data(self) -> None:
        with self.errors("committing"):
            self.raw.commit()

    def abort(self, created: list[str]) -> None:
        # DDL is not transactional in MySQL: drop what this load created, so a retry starts clean.
        try:
            self.raw.rollback()
            self.execute("SET SESSION foreign_key_checks = 0")
            for name in created:
                self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)}")
            self.execute("SET SESSION foreign_key_checks = 1")
        except self.driver_errors():
            pass


class SQLiteTarget(Target):
    undo_hint = "Nothing was loaded (the transaction was rolled back)."

    def __init__(self, conn: sa.Connection, dialect: Dialect) -> None:
        super().__init__(conn, dialect)
        self.saved_isolation = self.raw.isolation_level
        self.raw.isolation_level = None   # we issue BEGIN/COMMIT ourselves, DDL included

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import sqlite3

        return (sqlite3.Error,)

    def execute(self, statement: str | bytes) -> None:
        self.cursor.execute(statement.decode("utf-8") if isinstance(statement, bytes) else statement)

    def begin(self, drop: list[str]) -> None:
        with self.errors("preparing the target", schema_message=True):
            if drop:  # foreign keys off while dropping: the tables may reference each other in a cycle
                self.execute("PRAGMA foreign_keys = OFF")
                for name in drop:
                    self.execute(f"DROP TABLE IF EXISTS {self.dialect.quote(name)}")
            for statement in self.dialect.session():
                self.execute(statement)
            self.execute("BEGIN")

    def commit(self) -> None:
        try:
            with self.errors("committing"):
                self.execute("COMMIT")
        finally:
            self.raw.isolation_level = self.saved_isolation

    def abort(self, created: list[str]) -> None:
        try:
            if self.raw.in_transaction:
                self.execute("ROLLBACK")
        finally:
            self.raw.isolation_level = self.saved_isolation


def open_target(conn: sa.Connection, dialect: Dialect) -> Target:
    kinds: dict[str, type[Target]] = {"postgresql": PostgresTarget, "mysql": MySQLTarget, "sqlite": SQLiteTarget}
    return kinds[dialect.name](conn, dialect)
