"""The fixed point over key sets: children of kept root rows (downwards), parents of every kept row.

Two sets per table, both defined without reference to processing order:

- *expanded*: root rows, then the children (per relation, at most ``limit`` per parent row, chosen
  by seeded hash) of expanded rows, transitively;
- *kept*: expanded rows plus the parents of kept rows, transitively.

Each step queries the source for the rows matching a batch of keys (``WHERE (cols) IN (...)``) and
only ever fetches the columns the closure needs (keys, FK columns, referenced columns). Work ends
when no step adds a key, which it must, since key sets only grow and are bounded by the source.
Cycles (store <-> staff, employee.reports_to) are therefore just more iterations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import SourceError
from anonymiser.lazy import lazy_import
from anonymiser.subset import keys as K
from anonymiser.subset.graph import SubsetGraph
from anonymiser.subset.sql import arrow_type, fetch_matching

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = lazy_import("sqlalchemy")     # heavy: loaded on first use (see anonymiser/lazy.py)

Progress = Callable[[str, int], None]


class Closure:
    def __init__(self, conn: sa.Connection, graph: SubsetGraph, seed: int, *, batch_size: int | None = None,
                 progress: Progress | None = None) -> None:
        self.conn = conn
        self.graph = graph
        self.seed = seed
        self.batch_size = batch_size
        self.progress = progress
        self.kept: dict[str, pa.Table] = {}
        self.whole: set[str] = set()
        self._expanded: dict[str, pa.Table] = {}
        self._requested: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
        self._up: dict[tuple[str, tuple[str, ...]], list[pa.Table]] = {}
        self._down: dict[str, list[pa.Table]] = {}
        self.types = {
            name: {c.name: arrow_type(c) for c in info.columns} for name, info in graph.schema.tables.items()
        }

    # -- key sets -------------------------------------------------------------------------------

    def conform(self, table: str, rows: pa.Table) -> pa.Table:
        """Cast columns to the table's key types so values from FK columns compare with the parent's."""
        kept = self.kept.get(table)
        for i, name in enumerate(rows.column_names):
            target = self.types[table].get(name)
            if target is None and kept is not None and name in kept.column_names:
                target = kept.schema.field(name).type
            if target is not None and rows.schema.field(i).type != target:
                # A failed cast leaves values as fetched: a mismatch reads as "not found", never a match.
                with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    rows = rows.set_column(i, name, pc.cast(rows[name], target))
        return rows

    def empty(self, table: str, columns: tuple[str, ...]) -> pa.Table:
        return pa.schema([(c, self.types[table].get(c) or pa.null()) for c in columns]).empty_table()

    def add(self, table: str, rows: pa.Table, *, downward: bool) -> None:
        """Keep ``rows`` (carry columns of ``table``); queue their parents, and their children if downward."""
        key = self.graph.key[table]
        rows = K.distinct_rows(self.conform(table, rows), key)
        if rows.num_rows == 0:
            return
        kept = self.kept.get(table)
        new = K.anti_join(rows, kept, key) if kept is not None else rows
        if new.num_rows:
            self.kept[table] = new if kept is None else K.concat([kept, new])
            if self.progress is not None:
                self.progress(table, self.kept[table].num_rows)
            for fk in self.graph.parents[table]:
                if fk.ref_table in self.whole:
                    continue
                refs = K.distinct(new, fk.columns).rename_columns(list(fk.ref_columns))
                if refs.num_rows:
                    self._up.setdefault((fk.ref_table, fk.ref_columns), []).append(refs)
        if downward:
            done = self._expanded.get(table)
            fresh = K.anti_join(rows, done, key) if done is not None else rows
            if fresh.num_rows:
                keys = fresh.select(list(key))
                self._expanded[table] = keys if done is None else K.concat([done, keys])
                self._down.setdefault(table, []).append(fresh)

    # -- steps ----------------------------------------------------------------------------------

    def fetch_rows(self, table: str, where: tuple[str, ...], values: pa.Table, *,
                   with_ancestors: bool = False) -> list[pa.Table]:
        """The rows of ``table`` matching ``values``; ``with_ancestors``: and all their parents through
        the table's self-references at once (org charts, threaded comments: one query, not one a level)."""
        info = self.graph.schema.tables[table]
        carry = self.graph.carry[table]
        loops = [(fk.columns, fk.ref_columns) for fk in self.graph.parents[table] if fk.ref_table == table]
        try:
            return list(fetch_matching(self.conn, info, carry, where, values, self.batch_size, self.types[table],
                                       loops if with_ancestors else ()))
        except sa.exc.DBAPIError as exc:
            raise SourceError(
                f"reading keys of {table!r} for the subset failed ({type(exc.orig).__name__})", table=table,
                hint="Check the source is reachable and the policy's virtual foreign keys name real columns.",
            ) from exc

    def _step_up(self, target: tuple[str, tuple[str, ...]], parts: list[pa.Table]) -> None:
        table, columns = target
        values = self.conform(table, K.distinct(K.concat(parts), columns))
        asked = self._requested.get(target)
        if asked is not None:
            values = K.anti_join(values, asked, columns)
        if values.num_rows == 0 or table in self.whole:
            return
        self._requested[target] = values if asked is None else K.concat([asked, values])
        kept = self.kept.get(table)
        if kept is not None and columns == self.graph.key[table]:
            values = K.anti_join(values, kept, columns)  # already kept: no need to ask the source
        if values.num_rows:
            for rows in self.fetch_rows(table, columns, values, with_ancestors=True):
                self.add(table, rows, downward=False)

    def _step_down(self, table: str, parts: list[pa.Table]) -> None:
        rows = K.concat(parts)
        for rel in self.graph.children[table]:
            if not rel.follow or rel.child in self.whole:
                continue
            values = K.distinct(rows, rel.fk.ref_columns).rename_columns(list(rel.fk.columns))
            if values.num_rows == 0:
                continue
            for found in self.fetch_rows(rel.child, rel.fk.columns, self.conform(rel.child, values)):
                if rel.limit is not None:
                    # Every child of a parent in this batch is in ``found``: the cut is per parent row.
                    found = K.limit_per_group(found, rel.fk.columns, self.graph.key[rel.child], self.seed,
                                              rel.limit)
                self.add(rel.child, found, downward=True)

    def run(self) -> None:
        """Until nothing changes; parents first, since they complete integrity."""
        while self._up or self._down:
            if self._up:
                target = min(self._up)
                self._step_up(target, self._up.pop(target))
            else:
                table = min(self._down)
                self._step_down(table, self._down.pop(table))

    # -- results --------------------------------------------------------------------------------

    def kept_keys(self, table: str) -> pa.Table:
        """The distinct key tuples kept for ``table``, sorted (index-friendly for the reader)."""
        key = self.graph.key[table]
        kept = self.kept.get(table)
        if kept is None:
            return self.empty(table, key)
        keys = K.distinct(kept, key)
        return keys.sort_by([(c, "ascending") for c in key]) if key else keys

    def stats(self) -> dict[str, Any]:
        return {t: rows.num_rows for t, rows in sorted(self.kept.items())}
