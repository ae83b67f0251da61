"""SQL for the subset: quoted table clauses, batched ``WHERE (cols) IN (...)``, rows into Arrow.

Nothing here writes to the source: production sources are often read-only replicas, so key sets
travel as bound parameters of IN lists (row values for composite keys), never as temporary tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from anonymiser.lazy import lazy_import
from anonymiser.schema import ColumnInfo, TableInfo
from anonymiser.subset.result import RowFilter

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.sql.elements import ColumnElement, quoted_name
else:
    sa = lazy_import("sqlalchemy")     # heavy: loaded on first use (see anonymiser/lazy.py)

# Bound parameters per statement each driver/server accepts (SQLite before 3.32: 999).
_PARAM_LIMIT = {"sqlite": 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999, "postgresql": 65535}
_MAX_KEYS_PER_BATCH = 10000
_PG_ARRAY_BATCH = 50000   # keys per unnest() batch on PostgreSQL: one parameter per column
_FETCH_PARTITION = 50000


def default_batch_size(dialect: str, arity: int, info: TableInfo | None = None,
                       columns: Sequence[str] = ()) -> int:
    """Keys per IN list: as many as the dialect's parameter limit allows, capped for plan time.

    With ``info`` and ``columns`` on PostgreSQL, the larger batch of the unnest form when it applies.
    """
    if dialect == "postgresql" and columns and _unnest_ok(info, columns):
        return _PG_ARRAY_BATCH
    limit = _PARAM_LIMIT.get(dialect, 10 * _MAX_KEYS_PER_BATCH)
    return max(1, min(_MAX_KEYS_PER_BATCH, limit // max(1, arity)))


def _q(name: str) -> quoted_name:
    # Always quote: "Order Details" has a space, Chinook's SQLite tables are mixed case.
    return sa.quoted_name(name, True)


def table_clause(info: TableInfo, columns: Sequence[str] | None = None) -> sa.TableClause:
    names = info.column_names if columns is None else list(columns)
    schema = _q(info.schema_name) if info.schema_name else None
    return sa.table(_q(info.name), *[sa.column(_q(c)) for c in names], schema=schema)


def iter_key_batches(row_filter: RowFilter, batch_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges over ``row_filter.keys``, ``batch_size`` keys each."""
    total = row_filter.keys.num_rows
    for start in range(0, total, batch_size):
        yield start, min(total, start + batch_size)


# Kinds whose PostgreSQL type name, as introspected, is safe to cast a bound array to.
_ARRAY_KINDS = {"integer", "string", "text", "uuid", "date", "datetime", "decimal", "boolean", "float"}


def _unnest_ok(info: TableInfo | None, columns: Sequence[str]) -> bool:
    return info is not None and all(info.column(c).kind in _ARRAY_KINDS for c in columns)


def _unnest_in(table: sa.TableClause | sa.Table, info: TableInfo, columns: Sequence[str],
               keys: pa.Table) -> ColumnElement[bool]:
    # PostgreSQL expands (a, b) IN ((..), ..) into ORs; one array per column joined by unnest is a
    # hash semi-join (or index lookups), ~10x faster, and needs one bound parameter per column.
    names = [f"anon_subset_k{i}" for i in range(len(columns))]
    casts = ", ".join(f"CAST(:{n} AS {info.column(c).sql_type}[])" for n, c in zip(names, columns, strict=True))
    source = sa.text(f"unnest({casts}) AS anon_subset_keys({', '.join(names)})").bindparams(
        *[sa.bindparam(n, keys[c].to_pylist()) for n, c in zip(names, columns, strict=True)])
    select: Any = sa.select(*[sa.column(n) for n in names]).select_from(source)
    target = table.c[columns[0]] if len(columns) == 1 else sa.tuple_(*[table.c[c] for c in columns])
    return target.in_(select)


def key_clause(table: sa.TableClause | sa.Table, columns: Sequence[str], keys: pa.Table, *,
               dialect: str | None = None, info: TableInfo | None = None) -> ColumnElement[bool]:
    """``(columns) IN keys`` for one batch; with ``dialect="postgresql"`` and ``info``, as unnest arrays."""
    if keys.num_rows == 0 or not columns:
        return sa.false()
    if dialect == "postgresql" and info is not None and _unnest_ok(info, columns):
        return _unnest_in(table, info, columns, keys)
    cols = [table.c[c] for c in columns]
    values = [keys[c].to_pylist() for c in columns]
    if len(cols) == 1:
        return cols[0].in_(values[0])
    # Row values: PostgreSQL, MariaDB and SQLite >= 3.15 (SQLAlchemy renders VALUES for SQLite).
    return sa.tuple_(*cols).in_(list(zip(*values, strict=True)))


def key_batch_clause(table: sa.TableClause | sa.Table, row_filter: RowFilter, start: int, stop: int, *,
                     dialect: str | None = None, info: TableInfo | None = None) -> ColumnElement[bool]:
    """``(row_filter.columns) IN (keys[start:stop])`` for ``table`` (reflected or lightweight).

    Pass ``dialect`` (``conn.dialect.name``) and the table's ``info`` to get the fast PostgreSQL form.
    """
    return key_clause(table, row_filter.columns, row_filter.keys.slice(start, stop - start),
                      dialect=dialect, info=info)


def filter_clauses(table: sa.TableClause | sa.Table, row_filter: RowFilter, batch_size: int, *,
                   dialect: str | None = None, info: TableInfo | None = None) -> Iterator[ColumnElement[bool]]:
    """One where-clause per batch of keys; nothing when the filter keeps no rows."""
    for start, stop in iter_key_batches(row_filter, batch_size):
        yield key_batch_clause(table, row_filter, start, stop, dialect=dialect, info=info)


def arrow_type(column: ColumnInfo) -> pa.DataType | None:
    """The Arrow type key values of ``column`` are held in (None: as the driver's values infer)."""
    return {
        "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(), "string": pa.string(),
        "text": pa.string(), "uuid": pa.string(), "date": pa.date32(),
    }.get(column.kind)


def _arrow_column(values: Sequence[Any], kind: pa.DataType | None) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        # Driver objects Arrow cannot hold (uuid.UUID, ...): keep their text form.
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def rows_to_arrow(rows: Sequence[Sequence[Any]], names: Sequence[str],
                  types: Mapping[str, pa.DataType | None]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: _arrow_column(list(c), types.get(n)) for n, c in zip(names, columns, strict=True)})


def fetch(conn: sa.Connection, stmt: sa.Select[Any], names: Sequence[str],
          types: Mapping[str, pa.DataType | None], *, stream: bool = False) -> pa.Table:
    """Run ``stmt`` and collect its rows as one Arrow table (``stream``: through a server-side cursor)."""
    # Per statement: Connection.execution_options() would change the caller's connection.
    result = conn.execute(stmt.execution_options(stream_results=stream))
    parts = [rows_to_arrow(p, names, types) for p in result.partitions(_FETCH_PARTITION)]
    if not parts:
        return rows_to_arrow([], names, types)
    return pa.concat_tables(parts, promote_options="permissive")


def scan(conn: sa.Connection, stmt: sa.Select[Any], names: Sequence[str],
         types: Mapping[str, pa.DataType | None]) -> pa.Table:
    """A whole-table key scan (the root's keys).

    PostgreSQL: one ``array_agg`` per column, so the keys arrive as a few arrays in one round trip
    instead of a row (and a Python tuple) per key; aggregates of one query level see rows in the
    same order, so the arrays stay aligned.
    """
    if conn.dialect.name != "postgresql" or any(types.get(n) is None for n in names):
        return fetch(conn, stmt, names, types, stream=True)
    inner = stmt.subquery("anon_subset_scan")
    arrays = conn.execute(sa.select(*[sa.func.array_agg(inner.c[n]) for n in names])).one()
    return rows_to_arrow([], names, types) if arrays[0] is None else pa.table(
        {n: _arrow_column(values, types.get(n)) for n, values in zip(names, arrays, strict=True)})


def fetch_matching(conn: sa.Connection, info: TableInfo, select: Sequence[str], where: Sequence[str],
                   keys: pa.Table, batch_size: int | None, types: Mapping[str, pa.DataType | None],
                   self_references: Sequence[tuple[Sequence[str], Sequence[str]]] = ()) -> Iterator[pa.Table]:
    """``select`` columns of the rows of ``info`` whose ``where`` tuple is in ``keys``, batch by batch.

    With ``self_references`` (``(fk columns, referenced columns)`` pairs: ``node.parent_id -> node.id``),
    every ancestor of those rows too, in one recursive query per batch instead of one round trip per
    level: a 5,000-deep chain of parents is one statement. ``UNION`` (not ``UNION ALL``) ends the
    recursion on cycles in the data. ``select`` must then hold the foreign key and referenced columns."""
    batch_size = batch_size or default_batch_size(conn.dialect.name, len(where), info, where)
    table = table_clause(info, sorted({*select, *where}))
    parent = table.alias("anon_subset_parent")
    for start in range(0, keys.num_rows, batch_size):
        batch = keys.slice(start, batch_size)
        clause = key_clause(table, where, batch, dialect=conn.dialect.name, info=info)
        stmt = sa.select(*[table.c[c] for c in select]).where(clause)
        if self_references:
            found = stmt.cte("anon_subset_up", recursive=True)
            links = [sa.and_(*[parent.c[ref] == found.c[col] for col, ref in zip(cols, refs, strict=True)])
                     for cols, refs in self_references]
            found = found.union(sa.select(*[parent.c[c] for c in select]).join(found, sa.or_(*links)))
            stmt = sa.select(*[found.c[c] for c in select])
        yield fetch(conn, stmt, select, types)


def count_rows(conn: sa.Connection, info: TableInfo) -> int:
    table = table_clause(info, [])
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def count_matching(conn: sa.Connection, info: TableInfo, row_filter: RowFilter, batch_size: int | None) -> int:
    batch_size = batch_size or default_batch_size(conn.dialect.name, len(row_filter.columns), info,
                                                  row_filter.columns)
    table = table_clause(info, row_filter.columns)
    clauses = filter_clauses(table, row_filter, batch_size, dialect=conn.dialect.name, info=info)
    return sum(
        int(conn.execute(sa.select(sa.func.count()).select_from(table).where(clause)).scalar_one())
        for clause in clauses
    )
