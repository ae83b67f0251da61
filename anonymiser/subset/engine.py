"""``compute_subset``: roots → closure → tables no root reaches → one RowFilter per table.

Tables no root reaches (``unreached``):

- ``related`` (default): a table none of whose parents is filtered (a lookup table such as
  ``genre`` or ``region``, or one whose parents are all kept whole) is kept whole; any other keeps
  the rows that reference at least one kept row and whose every non-NULL reference is kept (e.g.
  ``playlist_track`` rows of kept tracks), plus whatever parents those need. Only followed
  relations pull rows in (``follow: false`` and ``include_children: false`` hold here too, and
  ``limit`` applies). Tables are settled parents first, so the rule sees its parents' key sets.
- ``drop``: they are left empty. Nothing kept references them, so integrity still holds.

A table without a primary key or NOT NULL unique key is addressed by the columns its foreign keys
use; its rows with a NULL in one of those columns are kept only when the table is kept whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import SourceError
from anonymiser.lazy import lazy_import
from anonymiser.policy.subset import SubsetPolicy
from anonymiser.schema import ForeignKey, SchemaInfo
from anonymiser.subset import keys as K
from anonymiser.subset.closure import Closure
from anonymiser.subset.graph import SubsetGraph, resolve_table, virtual_foreign_keys
from anonymiser.subset.result import RowFilter, SubsetResult
from anonymiser.subset.sample import sample_root
from anonymiser.subset.sql import count_matching, count_rows

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = lazy_import("sqlalchemy")     # heavy: loaded on first use (see anonymiser/lazy.py)


def compute_subset(conn: sa.Connection, schema: SchemaInfo, policy: SubsetPolicy | None, *,
                   progress: Callable[[str, int], None] | None = None) -> SubsetResult:
    """Which rows of each table to copy so every kept row's parents are kept too."""
    source_rows = _count_all(conn, schema)
    if policy is None or not policy.roots:
        return SubsetResult(
            filters={t: None for t in schema.tables}, source_rows=source_rows, kept_rows=dict(source_rows),
            method={"subset": False, "tables": {t: "all" for t in schema.tables}},
        )
    schema = _with_virtual(schema, policy)
    graph = SubsetGraph(schema, policy)
    closure = Closure(conn, graph, policy.seed, batch_size=policy.batch_size, progress=progress)
    roots = []
    for spec in policy.roots:
        sample = sample_root(conn, graph, spec, policy.seed)
        roots.append(sample.describe(spec))
        if progress is not None:
            progress(sample.table, sample.keys.num_rows)
        for rows in closure.fetch_rows(sample.table, graph.key[sample.table], sample.keys):
            closure.add(sample.table, rows, downward=True)
    closure.run()
    how = _settle_unreached(closure, graph, {r["table"] for r in roots}, policy.unreached)

    filters: dict[str, RowFilter | None] = {}
    kept_rows: dict[str, int] = {}
    for table in schema.tables:
        if table in closure.whole:
            filters[table], kept_rows[table] = None, source_rows[table]
            continue
        row_filter = RowFilter(graph.key[table], closure.kept_keys(table))
        filters[table] = row_filter
        if table in graph.keyed or row_filter.is_empty:
            kept_rows[table] = 0 if row_filter.is_empty else row_filter.num_keys
        else:  # keyed by FK columns, which need not be unique: count the rows themselves
            kept_rows[table] = count_matching(conn, schema.tables[table], row_filter, policy.batch_size)
    method = {
        "subset": True,
        "seed": policy.seed,
        "roots": roots,
        "include_children": policy.include_children,
        "max_children_per_parent": policy.max_children_per_parent,
        "children": [r.model_dump(exclude_none=True) for r in policy.children],
        "unreached": policy.unreached,
        "virtual_foreign_keys": [v.model_dump() for v in policy.virtual_foreign_keys],
        "tables": how,
    }
    return SubsetResult(filters=filters, source_rows=source_rows, kept_rows=kept_rows, method=method)


def _count_all(conn: sa.Connection, schema: SchemaInfo) -> dict[str, int]:
    try:
        return {t: count_rows(conn, info) for t, info in schema.tables.items()}
    except sa.exc.DBAPIError as exc:
        raise SourceError(f"counting source rows failed ({type(exc.orig).__name__})",
                          hint="Check the source URL and that the user may read every table.") from exc


def _with_virtual(schema: SchemaInfo, policy: SubsetPolicy) -> SchemaInfo:
    """Check the policy's names; add its virtual FKs unless the caller already did."""
    for spec in policy.roots:
        resolve_table(schema, spec.table, "subset.roots")
    missing = [
        (t, fk) for t, fk in virtual_foreign_keys(policy, schema)
        if not any(_same(fk, known) for known in schema.tables[t].foreign_keys)
    ]
    return schema.with_foreign_keys(missing) if missing else schema


def _same(a: ForeignKey, b: ForeignKey) -> bool:
    return (a.columns, a.ref_table, a.ref_columns) == (b.columns, b.ref_table, b.ref_columns)


def _settle_unreached(closure: Closure, graph: SubsetGraph, roots: set[str], mode: str) -> dict[str, str]:
    reached = graph.reached(roots)
    how = {t: ("root" if t in roots else "closure") for t in reached}
    for group in graph.schema.strongly_connected():  # parents first
        if group[0] in reached:
            continue  # a cycle is reached as a whole: each member is a parent of another
        if mode == "drop":
            how.update(dict.fromkeys(group, "dropped"))
            continue
        members = set(group)
        external = [
            (t, fk) for t in sorted(group) for fk in graph.parents[t]
            if fk.ref_table not in members and fk.ref_table not in closure.whole
        ]
        if not external:
            closure.whole |= members
            how.update(dict.fromkeys(group, "whole"))
            continue
        how.update(dict.fromkeys(group, "related"))
        for table in sorted(members):
            rows = _related_rows(closure, table, [fk for t, fk in external if t == table])
            if rows is not None:
                closure.add(table, rows, downward=False)
        closure.run()  # parents inside the group (self-references) and anything they need
    return how


def _related_rows(closure: Closure, table: str, fks: list[ForeignKey]) -> pa.Table | None:
    """Rows of ``table`` reached from a kept row through a followed relation, referencing nothing unkept."""
    graph = closure.graph
    found: list[pa.Table] = []
    refs: dict[tuple[str, ...], pa.Table | None] = {}
    for fk in fks:
        kept = closure.kept.get(fk.ref_table)
        values = None if kept is None else K.distinct(kept, fk.ref_columns).rename_columns(list(fk.columns))
        refs[fk.columns] = values
        rel = graph.relation(table, fk)
        if values is None or values.num_rows == 0 or not rel.follow:
            continue  # ``follow: false`` / ``include_children: false`` hold here too
        for rows in closure.fetch_rows(table, fk.columns, closure.conform(table, values)):
            if rel.limit is not None:
                rows = K.limit_per_group(rows, fk.columns, graph.key[table], closure.seed, rel.limit)
            found.append(rows)
    if not found:
        return None
    rows = K.distinct_rows(K.concat(found), graph.key[table])
    ok = np.ones(rows.num_rows, dtype=bool)
    for columns, values in refs.items():
        null = np.zeros(rows.num_rows, dtype=bool)
        for c in columns:
            null |= pc.is_null(rows[c]).to_numpy(zero_copy_only=False)
        present = (K.member_mask(rows, values, columns).to_numpy(zero_copy_only=False) if values is not None
                   else np.zeros(rows.num_rows, dtype=bool))
        ok &= null | present
    return rows.filter(pa.array(ok))


def describe(result: SubsetResult) -> dict[str, Any]:
    """Per table counts plus the method, for manifest.json and the report."""
    return {"method": result.method, "tables": result.summary()}
