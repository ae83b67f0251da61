"""Chunked reading of source tables into Arrow record batches, with bounded memory.

Rows stream through a server-side cursor (PostgreSQL named cursor, MySQL SSCursor) and are
ordered by primary key so that the same source and policy give byte-identical output files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from anonymiser.errors import SourceError
from anonymiser.schema import ColumnInfo, TableInfo

if TYPE_CHECKING:
    import sqlalchemy as sa

    from anonymiser.subset.result import RowFilter

DEFAULT_CHUNK_ROWS = 50_000


def arrow_type(column: ColumnInfo) -> pa.DataType:
    """The Arrow type that holds a column without loss."""
    kind = column.kind
    if kind == "integer":
        return pa.int64() if (column.bits or 64) > 32 else pa.int32() if column.bits == 32 else pa.int16()
    if kind == "float":
        return pa.float64()
    if kind == "decimal":
        if column.precision and column.precision <= 38:
            return pa.decimal128(column.precision, column.scale or 0)
        return pa.decimal128(38, column.scale if column.scale is not None else 10)
    if kind == "boolean":
        return pa.bool_()
    if kind == "date":
        return pa.date32()
    if kind == "datetime":
        return pa.timestamp("us", tz="UTC" if column.timezone else None)
    if kind == "time":
        return pa.time64("us")
    if kind == "interval":
        return pa.duration("us")
    if kind == "binary":
        return pa.binary()
    return pa.string()  # string, text, json (as text), uuid, other


def sa_type(column: ColumnInfo) -> Any:
    """A generic SQLAlchemy type for reading: its result processors normalise dialect quirks."""
    import sqlalchemy as sa

    kind = column.kind
    mapping: dict[str, Any] = {
        "integer": sa.BigInteger(), "float": sa.Float(), "boolean": sa.Boolean(), "date": sa.Date(),
        "datetime": sa.DateTime(timezone=column.timezone), "time": sa.Time(), "interval": sa.Interval(),
        "binary": sa.LargeBinary(), "json": sa.JSON(), "uuid": sa.Uuid(as_uuid=False),
        "decimal": sa.Numeric(column.precision, column.scale, asdecimal=True),
    }
    return mapping.get(kind, sa.String())


def table_clause(table: TableInfo) -> sa.TableClause:
    import sqlalchemy as sa

    return sa.table(table.name, *(sa.column(c.name, sa_type(c)) for c in table.columns),
                    schema=table.schema_name)


def _to_batch(rows: Sequence[Any], table: TableInfo, schema: pa.Schema) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(table.columns)
    arrays = []
    for values, column, field in zip(columns, table.columns, schema, strict=True):
        if column.kind == "json":
            values = tuple(None if v is None else v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                           for v in values)
        elif column.kind in ("uuid", "other"):
            values = tuple(None if v is None else str(v) for v in values)
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise SourceError(
                f"a value does not fit the declared type {column.sql_type} ({type(exc).__name__})",
                table=table.name, column=column.name,
                hint="SQLite stores any value in any column: clean the column, or declare its real type.",
            ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def arrow_schema(table: TableInfo) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in table.columns])


def read_table(
    conn: sa.Connection,
    table: TableInfo,
    *,
    row_filter: RowFilter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Yield the table's rows (all, or those whose key is in ``row_filter``) as record batches."""
    import sqlalchemy as sa

    clause = table_clause(table)
    schema = arrow_schema(table)
    order = [clause.c[c] for c in table.primary_key]
    statements: Iterable[sa.Select[Any]]
    if row_filter is None:
        statements = [sa.select(clause).order_by(*order)]
    else:
        from anonymiser.subset.sql import default_batch_size, filter_clauses

        dialect = conn.dialect.name
        batch = default_batch_size(dialect, len(row_filter.columns), table, row_filter.columns)
        statements = (sa.select(clause).where(where).order_by(*order)
                      for where in filter_clauses(clause, row_filter, batch, dialect=dialect, info=table))
    for statement in statements:
        try:
            # On the statement, not the connection: Connection.execution_options mutates the caller's connection.
            result = conn.execute(statement.execution_options(stream_results=True, yield_per=chunk_rows))
            for rows in result.partitions(chunk_rows):
                yield _to_batch(rows, table, schema)
        except sa.exc.DBAPIError as exc:
            raise SourceError(
                f"reading failed ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
                table=table.name,
            ) from None


def count_rows(conn: sa.Connection, table: TableInfo) -> int:
    import sqlalchemy as sa

    try:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table_clause(table))).scalar_one())
    except sa.exc.DBAPIError as exc:
        raise SourceError(f"cannot count rows ({type(exc.orig).__name__})", table=table.name) from None
