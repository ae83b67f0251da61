"""The schema model every stage shares: tables, columns, keys, and the foreign-key graph.

It is built by ``anonymiser.source.introspect`` from a live database, stored in ``manifest.json``
and read back by ``load`` and ``verify``, so it is plain data (pydantic, JSON round trip) and
never holds a connection or a value from the source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal[
    "integer", "float", "decimal", "string", "text", "boolean",
    "date", "datetime", "time", "interval", "binary", "json", "uuid", "other",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnInfo(_Frozen):
    name: str
    kind: ColumnKind
    sql_type: str = Field(description="The source's own type, as the source dialect spells it.")
    nullable: bool = True
    length: int | None = None          # VARCHAR(n) / CHAR(n) / VARBINARY(n)
    precision: int | None = None       # NUMERIC(p, s)
    scale: int | None = None
    bits: int | None = None            # integer width: 16, 32 or 64
    timezone: bool = False             # datetime WITH TIME ZONE
    autoincrement: bool = False


class ForeignKey(_Frozen):
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    virtual: bool = False              # declared in the policy, not in the database


class TableInfo(_Frozen):
    name: str
    schema_name: str | None = None
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()   # UNIQUE constraints and unique indexes, PK excluded

    def column(self, name: str) -> ColumnInfo:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Every column set the source guarantees unique: the primary key, then UNIQUE constraints."""
        sets = [self.primary_key] if self.primary_key else []
        return sets + [u for u in self.unique if u != self.primary_key]

    def is_unique_column(self, name: str) -> bool:
        """True when ``name`` alone is a key (single-column PK or UNIQUE)."""
        return any(s == (name,) for s in self.unique_sets())


class SchemaInfo(_Frozen):
    dialect: str
    database: str | None = None
    schema_name: str | None = None
    tables: dict[str, TableInfo]

    def table(self, name: str) -> TableInfo:
        return self.tables[name]

    def fingerprint(self) -> str:
        """sha256 of the structure only (names, types, keys): no credentials, no data."""
        structure = {name: t.model_dump(mode="json") for name, t in sorted(self.tables.items())}
        blob = json.dumps(structure, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def with_foreign_keys(self, extra: Iterable[tuple[str, ForeignKey]]) -> SchemaInfo:
        """A copy with more foreign keys (the policy's virtual ones) added to their tables."""
        added: dict[str, list[ForeignKey]] = {}
        for table, fk in extra:
            added.setdefault(table, []).append(fk)
        tables = {
            name: t.model_copy(update={"foreign_keys": t.foreign_keys + tuple(added.get(name, ()))})
            for name, t in self.tables.items()
        }
        return self.model_copy(update={"tables": tables})

    def parents(self, table: str) -> list[tuple[ForeignKey, str]]:
        """(fk, parent table) for each foreign key of ``table`` that points at a known table."""
        return [(fk, fk.ref_table) for fk in self.tables[table].foreign_keys if fk.ref_table in self.tables]

    def children(self, table: str) -> list[tuple[str, ForeignKey]]:
        """(child table, fk) for each foreign key anywhere that points at ``table``."""
        return [
            (name, fk)
            for name, t in self.tables.items()
            for fk in t.foreign_keys
            if fk.ref_table == table
        ]

    def strongly_connected(self) -> list[list[str]]:
        """Tables grouped into strongly connected components of the FK graph, parents first."""
        return _tarjan_parents_first(self)

    def load_order(self) -> list[str]:
        """Parents before children; tables inside a cycle are ordered by name."""
        return [t for group in self.strongly_connected() for t in sorted(group)]

    def deferred_foreign_keys(self) -> list[tuple[str, ForeignKey]]:
        """FKs that cannot be enforced while loading in ``load_order`` (self-references and cycles).

        Writers create tables without these, load the data, then add them.
        """
        position = {t: i for i, t in enumerate(self.load_order())}
        deferred = []
        for name in self.load_order():
            for fk in self.tables[name].foreign_keys:
                if fk.ref_table in position and position[fk.ref_table] >= position[name]:
                    deferred.append((name, fk))
        return deferred


def _tarjan_parents_first(schema: SchemaInfo) -> list[list[str]]:
    # Edges child -> parent; Tarjan emits components in reverse topological order of that graph,
    # which is parents first. Iterative, so deep FK chains cannot hit the recursion limit.
    graph = {name: sorted({p for _, p in schema.parents(name)}) for name in sorted(schema.tables)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for i in range(child_i, len(graph[node])):
                nxt = graph[node][i]
                if nxt not in index:
                    work.append((node, i + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
