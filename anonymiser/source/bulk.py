"""Bulk reading of PostgreSQL tables: ADBC's PostgreSQL driver, straight into Arrow.

The driver runs ``COPY (SELECT …) TO STDOUT (FORMAT binary)`` through libpq and decodes it in C++:
no Python object per cell. ``benchmarks/bench_read.py`` measures it against psycopg's
``COPY … (FORMAT binary)`` and the server-side cursor of ``read.py``; it is the fastest (figures in
benchmarks/RESULTS.md), so PostgreSQL sources are read this way.

Same rows, same Arrow: the SELECT is ``read.read_statements``' (same casts, key order and key-set
filters), and every column is then cast to ``read.arrow_type``. Where the driver's own decoding
would differ from the reference path, the column is selected in a form that does not:

- ``uuid`` as its text (the driver gives 16 raw bytes);
- ``real`` (float4) as its text, parsed as a double like psycopg parses it ("1.1" stays 1.1, not
  the float4 value widened to 1.100000023841858), and arrays of ``real`` likewise as JSON;
- multi-dimensional arrays as JSON (the driver flattens them), built into nested lists;
- dates and timestamps, and arrays of them, as ``read.py`` selects them: integers (days / microseconds
  since 1970), with PostgreSQL's ``infinity`` as the storage extremes.

A table the driver still cannot give exactly (a type it does not decode, a cast Arrow lacks) is read
by ``read.read_table`` instead, before any of its rows is used: the fallback is per table and silent
because the output is the same. ``tests/integration/test_bulk_read.py`` compares both paths on the
PostgreSQL type catalogue, byte for byte in Parquet.
"""

from __future__ import annotations

import _thread
import functools
import json
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from anonymiser.errors import SourceError
from anonymiser.schema import ColumnInfo, TableInfo
from anonymiser.source.read import (
    DEFAULT_CHUNK_ROWS,
    arrow_schema,
    arrow_type,
    read_statements,
    read_table,
    unfit_value,
)
from anonymiser.source.snapshot import IMPORT_FAILED_HINT, active_snapshot, import_statements
from anonymiser.subset.result import RowFilter

if TYPE_CHECKING:
    import sqlalchemy as sa

Convert = Callable[[pa.Array], pa.Array]
BATCH_HINT_OPTION = "adbc.postgresql.batch_size_hint_bytes"
BATCH_HINT_BYTES = 16 << 20     # the driver's batches (before re-chunking to chunk_rows): bounded memory
_FLOAT4 = ("real", "float4")
# Element kinds whose PostgreSQL text Arrow parses exactly as the reference path reads them.
_TEXT_CASTABLE = frozenset({"integer", "float", "decimal", "string", "text", "enum", "uuid", "other", "json"})


def available(conn: sa.Connection) -> bool:
    """Whether ``conn``'s source can be read in bulk (PostgreSQL, with the ADBC driver installed)."""
    if conn.dialect.name != "postgresql":
        return False
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401  # optional driver: imported only to see if it is there
    except ImportError:
        return False
    return True


def _json_texts(target: pa.DataType, leaf: pa.DataType | None = None) -> Convert:
    """Multi-dimensional arrays arrive as JSON of their elements' text (or, for dates and timestamps, of
    their storage integers): nested lists, then Arrow's own cast."""
    as_text = _with_leaf(target, leaf or pa.string())

    def convert(array: pa.Array) -> pa.Array:
        values = [None if v is None else json.loads(v) for v in array.to_pylist()]   # rare columns: per cell
        return pa.array(values, type=as_text).cast(target)
    return convert


def _with_leaf(target: pa.DataType, leaf: pa.DataType) -> pa.DataType:
    return pa.list_(_with_leaf(target.value_type, leaf)) if pa.types.is_list(target) else leaf


def _plan_column(column: ColumnInfo, expression: Any) -> tuple[Any, Convert | None]:
    """(what to select for the column, a converter for the driver's array or None for a plain cast)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use
    from sqlalchemy.dialects import postgresql  # heavy: imported on first use

    native = (column.native_type or "").lower()
    inner = expression.element if isinstance(expression, sa.Label) else expression
    if column.derived:
        return expression, None
    if column.kind == "uuid" or (column.kind == "float" and native in _FLOAT4):
        return sa.cast(inner, sa.Text()).label(column.name), None
    if column.kind == "array" and column.element_kind in ("date", "datetime") and column.dimensions <= 1:
        return expression, None   # read.py's infinity-aware integers: Arrow casts them to dates
    if column.kind == "array":
        as_text = sa.cast(inner, postgresql.ARRAY(sa.Text(), dimensions=column.dimensions or None))
        if column.dimensions > 1 and column.element_kind in ("date", "datetime"):
            # read.py's infinity-aware form: days / microseconds since 1970, shape kept
            leaf = pa.int32() if column.element_kind == "date" else pa.int64()
            return sa.cast(sa.func.array_to_json(inner), sa.Text()).label(column.name), _json_texts(
                arrow_type(column), leaf)
        if column.dimensions > 1:
            if (column.element_kind or "text") not in _TEXT_CASTABLE:
                raise _Unsupported(column.name)
            return sa.cast(sa.func.array_to_json(as_text), sa.Text()).label(column.name), _json_texts(
                arrow_type(column))
        if native.removesuffix("[]").strip() in _FLOAT4:
            return as_text.label(column.name), None
    return expression, None


class _Unsupported(Exception):
    """A column the bulk path cannot give exactly: read the table the reference way."""


def _cast(array: pa.Array, target: pa.DataType, convert: Convert | None) -> pa.Array:
    if isinstance(array.type, pa.ExtensionType):   # e.g. numeric: an opaque extension over its text
        array = array.storage
    if convert is not None:
        return convert(array)
    return array if array.type == target else array.cast(target)


def _castable(source: pa.DataType, target: pa.DataType) -> bool:
    if isinstance(source, pa.ExtensionType):
        source = source.storage_type
    try:
        pa.array([], type=source).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False
    return True


def _rebatch(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last one shorter), as the reference path yields them."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, rows).combine_chunks().to_batches()[0]
            rest = table.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


class BulkReader:
    """Reads tables of one PostgreSQL source through one ADBC connection (opened on first use)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._adbc: Any = None

    def _connection(self) -> Any:
        if self._adbc is None:
            import adbc_driver_postgresql.dbapi as adbc  # optional driver: loaded when a table is read

            _hand_interrupts_to_python()
            url = self._conn.engine.url.set(drivername="postgresql")
            try:
                self._adbc = adbc.connect(url.render_as_string(hide_password=False))
                with self._adbc.cursor() as cursor:
                    # Like every source session: read-only; and UTF-8, which the driver decodes text as.
                    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                    cursor.execute("SET client_encoding = 'UTF8'")
                self._adbc.commit()
            except Exception as exc:  # the driver's errors carry the connection string: never shown
                self._adbc = None
                raise SourceError(f"cannot open the bulk reader ({type(exc).__name__})",
                                  hint="Check that the source accepts a second connection from this host.") from None
            snapshot = active_snapshot(self._conn.engine)
            if snapshot is not None:   # one transaction for every read, in the run's snapshot
                try:
                    with self._adbc.cursor() as cursor:
                        for statement in import_statements(snapshot):
                            cursor.execute(statement)
                except Exception as exc:  # the driver's errors may quote the server's text: only the class
                    self.close()
                    raise SourceError(f"the bulk reader cannot read the run's snapshot ({type(exc).__name__})",
                                      hint=IMPORT_FAILED_HINT) from None
        return self._adbc

    def close(self) -> None:
        if self._adbc is not None:
            try:
                self._adbc.close()
            finally:
                self._adbc = None

    def __enter__(self) -> BulkReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_table(self, table: TableInfo, *, row_filter: RowFilter | None = None,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
        """``read.read_table``'s batches (same rows, order, chunking and Arrow types), read in bulk."""
        schema = arrow_schema(table)
        first = True
        for statement in read_statements("postgresql", table, row_filter):
            try:
                planned = [_plan_column(c, e) for c, e in zip(table.columns, statement.selected_columns, strict=True)]
            except _Unsupported:
                yield from read_table(self._conn, table, row_filter=row_filter, chunk_rows=chunk_rows)
                return
            select = statement.with_only_columns(*[e for e, _ in planned], maintain_column_froms=True)
            converters = [c for _, c in planned]
            sql, parameters = _sql(select, literal=row_filter is None)
            cursor = self._connection().cursor()
            try:
                try:
                    cursor.adbc_statement.set_options(**{BATCH_HINT_OPTION: str(BATCH_HINT_BYTES)})
                    cursor.execute(sql, parameters)
                    reader = cursor.fetch_record_batch()
                except Exception as exc:  # driver messages may quote values: only the class is shown
                    raise SourceError(f"reading failed ({type(exc).__name__})", table=table.name) from None
                if first and not all(convert is not None or _castable(field.type, target.type)
                                     for field, target, convert in zip(reader.schema, schema, converters,
                                                                       strict=True)):
                    cursor.close()
                    yield from read_table(self._conn, table, row_filter=row_filter, chunk_rows=chunk_rows)
                    return
                first = False
                for batch in _rebatch(_guarded(reader, table), chunk_rows):
                    yield self._convert(batch, table, schema, converters)
            finally:
                cursor.close()

    @staticmethod
    def _convert(batch: pa.RecordBatch, table: TableInfo, schema: pa.Schema,
                 converters: list[Convert | None]) -> pa.RecordBatch:
        arrays = []
        for i, (column, field) in enumerate(zip(table.columns, schema, strict=True)):
            try:
                arrays.append(_cast(batch.column(i), field.type, converters[i]))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError,
                    ValueError) as exc:
                raise unfit_value(table, column, exc) from None
        return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _hand_interrupts_to_python() -> None:
    """A Ctrl-C during a driver call (``execute``) is Python's again, as anywhere else.

    For the length of each blocking call, ADBC's driver manager swaps Python's SIGINT handler for its own,
    which only cancels the query: the statement then fails with a driver error (exit 3, "reading failed")
    or, if it had already finished, the Ctrl-C is lost and the run goes on to the end. Its cancel callback
    is wrapped to also hand the signal to the main thread's Python handler (the CLI's: exit 130, partial
    output removed). Applied once, to the driver manager's module (the driver's connections use it)."""
    import adbc_driver_manager.dbapi as manager  # optional driver: present when the PostgreSQL driver is

    blocking = getattr(manager, "_blocking_call", None)
    if blocking is None or getattr(blocking, "_anonymiser", False):
        return

    def call(func: Callable[..., Any], args: Any, kwargs: Any, cancel: Callable[[], Any]) -> Any:
        def cancel_and_interrupt() -> None:
            _thread.interrupt_main(signal.SIGINT)   # raised in the main thread once the call returns
            cancel()

        return blocking(func, args, kwargs, cancel_and_interrupt)

    call._anonymiser = True  # type: ignore[attr-defined]
    manager._blocking_call = call


def _sql(select: Any, *, literal: bool) -> tuple[str, tuple[Any, ...] | None]:
    """The statement's SQL and parameters. The driver streams with COPY only a statement without
    parameters; with them it runs a prepared query and holds the whole result in memory (a 10M-row
    table at once). A whole-table read's only parameters are integer constants (the infinity
    sentinels of date and timestamp casts): written as literals. Key-set reads keep their parameters
    (keys may be any type; each statement holds one bounded batch of keys)."""
    if literal:
        try:
            return str(select.compile(dialect=_pg_dialect(), compile_kwargs={"literal_binds": True,
                                                                             "render_postcompile": True})), None
        except (sa_exc().CompileError, NotImplementedError):
            pass
    compiled = select.compile(dialect=_pg_dialect(), compile_kwargs={"render_postcompile": True})
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    return str(compiled), parameters or None


def sa_exc() -> Any:
    import sqlalchemy.exc  # heavy: imported on first use

    return sqlalchemy.exc


@functools.cache
def _pg_dialect() -> Any:
    """PostgreSQL's SQL with ``$1`` parameters, as libpq (and so ADBC) binds them."""
    from sqlalchemy.dialects import postgresql  # heavy: imported on first use

    return postgresql.dialect(paramstyle="numeric_dollar")


def _guarded(reader: Any, table: TableInfo) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    except Exception as exc:  # the driver's errors (any class) may quote values: only the class is shown
        raise SourceError(f"reading failed ({type(exc).__name__})", table=table.name) from None


class SourceReader:
    """Reads source tables in bulk where the source allows it (PostgreSQL with ADBC), else through
    ``read.read_table``'s server-side cursor (MySQL/MariaDB: an unbuffered SSCursor; SQLite)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._bulk = BulkReader(conn) if available(conn) else None

    @property
    def method(self) -> str:
        return "bulk (ADBC, COPY binary)" if self._bulk is not None else "server-side cursor"

    def read_table(self, table: TableInfo, *, row_filter: RowFilter | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                   nulled: Counter[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The table's batches; MySQL dates no calendar has are read as NULL, counted by column in ``nulled``
        (PostgreSQL, read in bulk, has none)."""
        if self._bulk is not None:
            return self._bulk.read_table(table, row_filter=row_filter, chunk_rows=chunk_rows)
        return read_table(self._conn, table, row_filter=row_filter, chunk_rows=chunk_rows, nulled=nulled)

    def close(self) -> None:
        if self._bulk is not None:
            self._bulk.close()

    def __enter__(self) -> SourceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
