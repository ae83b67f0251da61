"""Root sampling: rank the root's keys by a seeded hash and take the first N.

Ranking by hash of the key (not by scan order, not TABLESAMPLE) makes the sample the same for the
same seed whatever the physical row order, the dialect or the vacuum state of the source.
Only the root's key columns are read, and only for rows matching ``where``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from anonymiser.errors import SubsetError
from anonymiser.lazy import lazy_import
from anonymiser.policy.subset import RootSpec
from anonymiser.redact import db_error_text, scrub_db_message, words_of_sql
from anonymiser.subset import keys as K
from anonymiser.subset.graph import SubsetGraph, identity, resolve_table
from anonymiser.subset.sql import arrow_type, scan, table_clause

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = lazy_import("sqlalchemy")     # heavy: loaded on first use (see anonymiser/lazy.py)


@dataclass(frozen=True)
class RootSample:
    table: str
    keys: pa.Table            # the chosen key tuples
    eligible: int             # rows matching ``where`` (all rows without one)

    def describe(self, spec: RootSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.table}
        for name in ("percent", "rows", "where"):
            if getattr(spec, name) is not None:
                out[name] = getattr(spec, name)
        return out | {"eligible_rows": self.eligible, "selected_rows": self.keys.num_rows}


def sample_size(eligible: int, spec: RootSpec) -> int:
    """``rows`` exactly (or all, if fewer); ``percent`` of the eligible rows rounded half up."""
    if spec.rows is not None:
        return min(spec.rows, eligible)
    if spec.percent is not None:
        return min(eligible, math.floor(eligible * spec.percent / 100 + 0.5))
    return eligible


def where_clause(where: str) -> sa.TextClause:
    """The user's SQL as a WHERE term, in parentheses; colons escaped (':x' is text, not a bind parameter)."""
    return sa.text("(" + where.replace(":", "\\:") + ")")


def sample_root(conn: sa.Connection, graph: SubsetGraph, spec: RootSpec, seed: int) -> RootSample:
    table = resolve_table(graph.schema, spec.table, "subset.roots")
    info = graph.schema.tables[table]
    key = identity(info)
    if not key:
        raise SubsetError(
            f"root table {table!r} has no primary key or NOT NULL unique key to sample by", table=table,
            hint="Choose a table with a primary key as the root; this one then follows its relations.",
        )
    source = table_clause(info)
    stmt = sa.select(*[source.c[c] for c in key])
    if spec.where:
        stmt = stmt.where(where_clause(spec.where))
    types = {c.name: arrow_type(c) for c in info.columns}
    try:
        keys = K.distinct(scan(conn, stmt, key, types), key)
    except sa.exc.DBAPIError as exc:
        # Driver messages quote values (even ones read from rows): literals masked, known names kept.
        names = {n for t in graph.schema.tables.values() for n in (t.name, *t.column_names)}
        names |= words_of_sql(spec.where or "")
        detail = scrub_db_message(db_error_text(exc), names)
        raise SubsetError(
            f"the source rejected the root's where clause ({type(exc.orig).__name__}): {detail}", table=table,
            hint="Fix subset.roots[].where: it is SQL for the source's dialect, used as WHERE (<where>).",
        ) from None
    eligible = keys.num_rows
    return RootSample(table, K.take_first(keys, key, seed, sample_size(eligible, spec)), eligible)
