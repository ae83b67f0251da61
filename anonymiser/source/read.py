"""Chunked reading of source tables into Arrow record batches, with bounded memory.

Rows stream through a server-side cursor (PostgreSQL named cursor, MySQL SSCursor) and are
ordered by primary key so that the same source and policy give byte-identical output files.
"""

from __future__ import annotations

import decimal
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from anonymiser.errors import SourceError
from anonymiser.schema import DATE_INFINITY, TIMESTAMP_INFINITY, ColumnInfo, TableInfo
from anonymiser.subset.result import RowFilter
from anonymiser.subset.sql import default_batch_size, filter_clauses

if TYPE_CHECKING:
    import sqlalchemy as sa


DEFAULT_CHUNK_ROWS = 50_000


def arrow_type(column: ColumnInfo) -> pa.DataType:
    """The Arrow type that holds a column without loss (docs/types.md)."""
    kind = column.kind
    if kind == "array":
        element = column.model_copy(update={"kind": column.element_kind or "text", "element_kind": None})
        inner = arrow_type(element)
        for _ in range(max(column.dimensions, 1)):
            inner = pa.list_(inner)
        return inner
    if kind == "integer":
        if column.unsigned:   # MySQL UNSIGNED: one size up, so the top of the range fits
            return pa.uint64() if (column.bits or 64) > 32 else pa.int64()
        return pa.int64() if (column.bits or 64) > 32 else pa.int32() if column.bits == 32 else pa.int16()
    if kind == "float":
        return pa.float64()
    if kind == "decimal":
        if column.precision and column.precision <= 38:
            return pa.decimal128(column.precision, column.scale or 0)
        if column.precision and column.precision <= 76:
            return pa.decimal256(column.precision, column.scale or 0)
        if column.native_type == "numeric":   # PostgreSQL numeric without precision: any digits, NaN
            return pa.string()
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
    return pa.string()  # string, text, enum, set, json (as text), uuid, other


def sa_type(column: ColumnInfo) -> Any:
    """A generic SQLAlchemy type for reading: its result processors normalise dialect quirks."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    kind = column.kind
    if column.kind == "decimal" and column.native_type == "numeric":
        return sa.String()
    mapping: dict[str, Any] = {
        "integer": sa.BigInteger(), "float": sa.Float(), "boolean": sa.Boolean(), "date": sa.Date(),
        "datetime": sa.DateTime(timezone=column.timezone), "time": sa.Time(), "interval": sa.types.NullType(),
        "binary": sa.LargeBinary(), "json": sa.String(), "uuid": sa.Uuid(as_uuid=False),
        "decimal": sa.Numeric(column.precision, column.scale, asdecimal=True),
    }
    return mapping.get(kind, sa.String())


def table_clause(table: TableInfo) -> sa.TableClause:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    return sa.table(table.name, *(sa.column(c.name, sa_type(c)) for c in table.columns),
                    schema=table.schema_name)


def select_list(clause: sa.TableClause, table: TableInfo, dialect: str) -> list[Any]:
    """The columns as read: values a driver cannot give faithfully are cast by the engine first."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    out: list[Any] = []
    for c in table.columns:
        column: Any = clause.c[c.name]
        if c.derived:   # never copied from the source: the dump and load have the target compute it
            out.append(sa.null().label(c.name))
            continue
        cast = _read_cast(c, dialect)
        if cast == "infinity":
            out.append(_infinity_aware(column, c).label(c.name))
        else:
            out.append(column if cast is None else sa.cast(column, cast).label(c.name))
    return out


def _infinity_aware(column: Any, info: ColumnInfo) -> Any:
    """PostgreSQL dates and timestamps as Arrow's storage integers (days / microseconds since 1970), so
    'infinity' and '-infinity' travel as the storage extremes, beyond any real date (docs/types.md).
    Arrays of them likewise, element by element, keeping their dimensions."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    if info.kind == "array":
        return _infinity_aware_array(column, info)
    if info.kind == "date":
        top, bottom = DATE_INFINITY
        finite: Any = column - sa.literal_column("DATE '1970-01-01'")
    else:
        top, bottom = TIMESTAMP_INFINITY
        finite = sa.cast(sa.func.extract("epoch", column) * 1_000_000, sa.BigInteger)
    return sa.case((column == sa.literal_column("'infinity'"), top),
                   (column == sa.literal_column("'-infinity'"), bottom), else_=finite)


def _infinity_aware_array(column: Any, info: ColumnInfo) -> Any:
    """``ARRAY(SELECT <element as integer> FROM unnest(…) WITH ORDINALITY …)``, or for more dimensions one
    ``generate_subscripts`` level per declared dimension: the array's shape, element order and NULL elements
    are kept; a NULL array stays NULL."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use
    from sqlalchemy.dialects import postgresql  # heavy (~0.3 s): imported on first use

    reference = str(column.compile(dialect=postgresql.dialect()))
    dimensions = max(info.dimensions, 1)
    indexes = [f"anonymiser_i{level}" for level in range(1, dimensions + 1)]
    # One dimension (nearly every array): unnest, three times faster than subscripting each element.
    element = "anonymiser_u.e" if dimensions == 1 else reference + "".join(f"[{i}]" for i in indexes)
    integer: sa.types.TypeEngine[int]
    if info.element_kind == "date":
        (top, bottom), integer = DATE_INFINITY, sa.Integer()
        finite = f"({element} - DATE '1970-01-01')"
    else:
        (top, bottom), integer = TIMESTAMP_INFINITY, sa.BigInteger()
        finite = f"CAST(extract(epoch FROM {element}) * 1000000 AS BIGINT)"
    sql = (f"CASE WHEN {element} = 'infinity' THEN {top} WHEN {element} = '-infinity' THEN {bottom} "
           f"ELSE {finite} END")
    if dimensions == 1:
        sql = (f"ARRAY(SELECT {sql} FROM unnest({reference}) WITH ORDINALITY AS anonymiser_u(e, n) "
               "ORDER BY anonymiser_u.n)")
    for level in range(dimensions, 0, -1) if dimensions > 1 else ():
        index = indexes[level - 1]
        sql = (f"ARRAY(SELECT {sql} FROM generate_subscripts({reference}, {level}) AS {index} "
               f"ORDER BY {index})")
    sql = f"CASE WHEN {reference} IS NULL THEN NULL ELSE {sql} END"
    return sa.literal_column(sql, type_=postgresql.ARRAY(integer, dimensions=dimensions))


def _read_cast(column: ColumnInfo, dialect: str) -> Any:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    if dialect == "sqlite" and column.read_as_text:
        return sa.LargeBinary() if column.kind == "binary" else sa.Text()
    if dialect != "postgresql":
        return None
    if column.kind in ("other", "json") or (column.kind == "decimal" and column.native_type == "numeric"):
        return sa.Text()   # the engine's own text loads back exactly (interval months, ranges, json as written)
    if column.native_type == "money":
        return sa.Numeric()
    if column.kind in ("date", "datetime") or (column.kind == "array" and column.element_kind in ("date", "datetime")):
        return "infinity"
    if column.kind == "array" and column.element_kind in ("string", "text", "enum", "other", "uuid", "json"):
        from sqlalchemy.dialects import postgresql  # heavy (~0.3 s): imported on first use

        return postgresql.ARRAY(sa.Text(), dimensions=column.dimensions or None)
    return None


def _to_batch(rows: Sequence[Any], table: TableInfo, schema: pa.Schema, dialect: str = "",
              nulled: Counter[str] | None = None) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(table.columns)
    arrays = []
    for values, column, field in zip(columns, table.columns, schema, strict=True):
        try:
            try:
                arrays.append(pa.array(_python_values(values, column, field.type), type=field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                if dialect != "mysql" or column.kind not in ("date", "datetime"):
                    raise
                dates, count = _calendar_dates(values)
                if not count:
                    raise exc from None
                if column.name in table.primary_key:
                    raise SourceError(f"{count} zero date(s) in a key column (a zero year, month or day)",
                                      table=table.name, column=column.name,
                                      hint="A key cannot be NULL: clean the key in the source, or exclude the "
                                           "table.") from None
                if nulled is not None:
                    nulled[column.name] += count
                arrays.append(pa.array(dates, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError) as exc:
            raise unfit_value(table, column, exc) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _calendar_dates(values: Sequence[Any]) -> tuple[list[Any], int]:
    """MySQL's dates that no calendar has (``0000-00-00``, a zero month or day, 30 February under
    ALLOW_INVALID_DATES), which the driver gives as text, as NULL; and how many there were. Only a batch
    holding one takes this per-cell path (docs/types.md)."""
    out = [None if isinstance(v, str | bytes) else v for v in values]
    return out, sum(1 for v in values if isinstance(v, str | bytes))


def unfit_value(table: TableInfo, column: ColumnInfo, exc: BaseException) -> SourceError:
    """A source value the column's Arrow type cannot hold (the value itself is never shown)."""
    return SourceError(
        f"a value does not fit the declared type {column.native_type or column.sql_type} ({type(exc).__name__})",
        table=table.name, column=column.name,
        hint="Clean the column in the source, or exclude the table; see docs/types.md for how each type is read.",
    )


def _python_values(values: Sequence[Any], column: ColumnInfo, arrow: pa.DataType) -> Sequence[Any]:
    """Driver values the Arrow constructor does not take as they are (per value: rare column kinds only)."""
    kind = column.kind
    if kind == "json":
        return tuple(None if v is None else v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                     for v in values)
    if kind in ("uuid", "other", "enum", "set") or pa.types.is_string(arrow):
        return tuple(None if v is None else v if isinstance(v, str) else _text(v) for v in values)
    if kind == "integer" and any(isinstance(v, bytes) for v in values):   # MySQL BIT(n)
        return tuple(int.from_bytes(v, "big") if isinstance(v, bytes) else v for v in values)
    if kind == "float" and any(isinstance(v, decimal.Decimal) for v in values):   # MySQL DOUBLE as Decimal
        return tuple(None if v is None else float(v) for v in values)
    return values


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, set | frozenset):   # a SET a driver parsed: MySQL's own comma form
        return ",".join(sorted(value))
    return str(value)


def arrow_schema(table: TableInfo) -> pa.Schema:
    """Date and timestamp fields are nullable whatever the column: a MySQL source may hold dates no calendar
    has, read as NULL (the manifest keeps the column's NOT NULL unless it had to be dropped)."""
    return pa.schema([pa.field(c.name, arrow_type(c), metadata=field_metadata(c),
                               nullable=c.nullable or c.derived or c.kind in ("date", "datetime"))
                      for c in table.columns])


def field_metadata(column: ColumnInfo) -> dict[bytes, bytes]:
    """What a Parquet reader needs to know beyond the Arrow type: the source's own type (enums and JSON
    travel as strings), enum/SET members, and whether the column is generated or computed by a trigger (then
    empty here)."""
    meta = {"anonymiser.source_type": column.native_type or column.sql_type, "anonymiser.kind": column.kind}
    if column.members:
        meta["anonymiser.members"] = json.dumps(list(column.members), ensure_ascii=False)
    if column.generated:
        meta["anonymiser.generated"] = column.generated
    if column.computed_by:
        meta["anonymiser.computed_by"] = column.computed_by
    return {k.encode(): v.encode() for k, v in meta.items()}


def read_statements(dialect: str, table: TableInfo, row_filter: RowFilter | None = None) -> Iterator[sa.Select[Any]]:
    """The SELECTs that read ``table`` (all rows, or one per batch of ``row_filter``'s keys), in key order."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    clause = table_clause(table)
    order = [clause.c[c] for c in table.primary_key]
    columns = select_list(clause, table, dialect)
    if row_filter is None:
        yield sa.select(*columns).select_from(clause).order_by(*order)
        return
    batch = default_batch_size(dialect, len(row_filter.columns), table, row_filter.columns)
    for where in filter_clauses(clause, row_filter, batch, dialect=dialect, info=table):
        yield sa.select(*columns).select_from(clause).where(where).order_by(*order)


def read_table(
    conn: sa.Connection,
    table: TableInfo,
    *,
    row_filter: RowFilter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    nulled: Counter[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the table's rows (all, or those whose key is in ``row_filter``) as record batches. MySQL dates
    no calendar has are read as NULL, counted by column in ``nulled``."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    schema = arrow_schema(table)
    for statement in read_statements(conn.dialect.name, table, row_filter):
        try:
            # On the statement, not the connection: Connection.execution_options mutates the caller's connection.
            result = conn.execute(statement.execution_options(stream_results=True, yield_per=chunk_rows))
            for rows in result.partitions(chunk_rows):
                yield _to_batch(rows, table, schema, conn.dialect.name, nulled)
        except sa.exc.DBAPIError as exc:
            raise SourceError(
                f"reading failed ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
                table=table.name,
            ) from None


def count_rows(conn: sa.Connection, table: TableInfo) -> int:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    try:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table_clause(table))).scalar_one())
    except sa.exc.DBAPIError as exc:
        raise SourceError(f"cannot count rows ({type(exc.orig).__name__})", table=table.name) from None
