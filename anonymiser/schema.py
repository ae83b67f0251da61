"""The schema model every stage shares: tables, columns, keys, and the foreign-key graph.

It is built by ``anonymiser.source.introspect`` from a live database, stored in ``manifest.json``
and read back by ``load`` and ``verify``, so it is plain data (pydantic, JSON round trip) and
never holds a connection or a value from the source.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal[
    "integer", "float", "decimal", "string", "text", "boolean",
    "date", "datetime", "time", "interval", "binary", "json", "uuid", "other",
    "enum", "set", "array",
]


# PostgreSQL's infinity and -infinity travel as the extremes of Arrow's storage (days / microseconds since
# 1970, as DuckDB stores them), far outside any real date; each SQL dialect spells them (docs/types.md).
DATE_INFINITY = (2**31 - 1, -(2**31 - 1))
TIMESTAMP_INFINITY = (2**63 - 1, -(2**63 - 1))


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
    # DDL facts that rebuild the column exactly on the same engine (docs/types.md). ``native_type`` is
    # the source's own spelling (PostgreSQL format_type, MySQL COLUMN_TYPE, SQLite declared type).
    native_type: str | None = None
    unsigned: bool = False             # MySQL UNSIGNED integers and decimals
    default: str | None = None         # default expression as the source spells it
    collation: str | None = None       # a collation other than the table's default
    charset: str | None = None         # MySQL character set of the column
    members: tuple[str, ...] = ()      # ENUM / SET members, in declared order
    generated: str | None = None       # expression of a generated column: recomputed, never copied
    generated_stored: bool = True
    # PostgreSQL: the CREATE TRIGGER (built-in tsvector_update_trigger) that computes the column on every
    # insert, e.g. Pagila's film.fulltext. Like a generated column: recomputed, never copied.
    computed_by: str | None = None
    identity: Literal["always", "by default"] | None = None   # PostgreSQL identity column
    element_kind: ColumnKind | None = None   # arrays: the kind of the elements
    dimensions: int = 0                # arrays: 1 for text[], 2 for integer[][]
    user_type: str | None = None       # PostgreSQL enum/domain/composite/range the column is declared with
    read_as_text: str | None = None    # why the values are read as text (they do not fit the declared type)

    @property
    def derived(self) -> bool:
        """Computed by the database from other columns (generated, or by a trigger): never read from the
        source, computed again by the target from the masked columns."""
        return self.generated is not None or self.computed_by is not None

    def element(self) -> ColumnInfo:
        """What one element of an array column is: its kind and facets (length, members, precision …),
        nullable (arrays hold NULL elements), named like the array so messages name the column."""
        if self.kind != "array":
            raise ValueError(f"column {self.name!r} is not an array")
        def strip(spelling: str | None) -> str | None:
            return spelling.split("[", 1)[0] if spelling and "[" in spelling else None

        return self.model_copy(update={"kind": self.element_kind or "text", "element_kind": None, "dimensions": 0,
                                       "nullable": True, "native_type": strip(self.native_type),
                                       "sql_type": strip(self.sql_type) or f"element of {self.sql_type}",
                                       "default": None, "generated": None, "computed_by": None,
                                       "identity": None,
                                       "autoincrement": False})


class ForeignKey(_Frozen):
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    virtual: bool = False              # declared in the policy, not in the database
    on_delete: str | None = None       # CASCADE, SET NULL, SET DEFAULT, RESTRICT (NO ACTION: None)
    on_update: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False


class IndexInfo(_Frozen):
    """An index the source's catalogue holds beyond the primary key and UNIQUE constraints (non-unique,
    FULLTEXT, GiST/GIN, expression, partial, unique indexes), rebuilt by a same-engine copy."""

    name: str
    definition: str                    # PostgreSQL: CREATE INDEX … ON <table>; MySQL: the KEY clause of CREATE TABLE
    columns: tuple[str, ...] = ()      # the columns it reads (keys and expressions)
    calls: tuple[str, ...] = ()        # functions of the source it calls, which no dump carries

    @property
    def unique(self) -> bool:
        """A unique index: ``CREATE UNIQUE INDEX`` (PostgreSQL, SQLite) or a ``UNIQUE KEY`` clause (MySQL)."""
        return _UNIQUE_INDEX.match(self.definition) is not None


_UNIQUE_INDEX = re.compile(r"\s*(?:CREATE\s+)?UNIQUE\b", re.IGNORECASE)


class CheckConstraint(_Frozen):
    expression: str                    # as the source spells it, without the CHECK keyword
    name: str | None = None


class Partitioning(_Frozen):
    """PostgreSQL declarative partitioning: the key, and each partition with its bound."""

    key: str                           # e.g. "RANGE (rented_at)"
    partitions: tuple[tuple[str, str], ...] = ()   # (name, "FOR VALUES FROM (...) TO (...)")


class TableInfo(_Frozen):
    name: str
    schema_name: str | None = None
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()   # UNIQUE constraints and unique indexes, PK excluded
    unique_names: tuple[str | None, ...] = ()  # the source's name of each ``unique`` entry, where known
    indexes: tuple[IndexInfo, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    partitioning: Partitioning | None = None
    without_rowid: bool = False        # SQLite WITHOUT ROWID
    inherits: tuple[str, ...] = ()     # PostgreSQL table inheritance (INHERITS): its parents, not carried
    options: dict[str, str] = Field(default_factory=dict)   # MySQL ENGINE, DEFAULT CHARSET, COLLATE

    def compares_case_insensitively(self, column: ColumnInfo) -> bool:
        """Whether the source's comparisons (keys, joins, UNIQUE) ignore case in ``column``: a MySQL/MariaDB
        ``_ci`` collation (the column's, else the table's default), SQLite ``NOCASE``, PostgreSQL ``citext``."""
        collation = (column.collation or self.options.get("COLLATE") or "").lower()
        native = (column.native_type or "").lower()
        return "_ci" in collation or collation == "nocase" or native == "citext" or native.endswith(".citext")

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

    def is_unique_set(self, columns: tuple[str, ...]) -> bool:
        """True when no two rows share the values of ``columns`` (they hold a PK or UNIQUE column set)."""
        return any(s and set(s) <= set(columns) for s in self.unique_sets())


class UserType(_Frozen):
    """A PostgreSQL type the columns are declared with, rebuilt before the tables (same engine only)."""

    name: str
    kind: Literal["enum", "domain", "composite", "range"]
    labels: tuple[str, ...] = ()                 # enum
    base_type: str | None = None                 # domain: base type; range: subtype
    attributes: tuple[tuple[str, str], ...] = () # composite: (name, type)
    nullable: bool = True                        # domain
    default: str | None = None                   # domain
    collation: str | None = None                 # domain
    checks: tuple[CheckConstraint, ...] = ()     # domain


class SequenceInfo(_Frozen):
    """A sequence a column default draws from (PostgreSQL serial), owned by table.column."""

    name: str
    table: str
    column: str
    data_type: str = "bigint"


class ViewInfo(_Frozen):
    name: str
    definition: str                    # the SELECT, as the source prints it
    reads: tuple[str, ...] = ()        # tables and views it selects from (schema-qualified if elsewhere)
    calls: tuple[str, ...] = ()        # functions of the source it calls, which no dump carries
    materialized: bool = False         # PostgreSQL: created again from the copy's (masked) rows, never copied


class SchemaInfo(_Frozen):
    dialect: str
    database: str | None = None
    schema_name: str | None = None
    tables: dict[str, TableInfo]
    types: tuple[UserType, ...] = ()
    sequences: tuple[SequenceInfo, ...] = ()
    # PostgreSQL: table → the next value of its single-column key's sequence in the source (outside
    # ``tables``, so the structure's fingerprint does not change as rows are added)
    counters: dict[str, int] = Field(default_factory=dict)
    views: tuple[ViewInfo, ...] = ()
    extensions: tuple[str, ...] = ()   # PostgreSQL extensions whose types or functions the tables or views use
    # "table(columns) -> schema.table": foreign keys to another schema, which the copy cannot follow
    outside_foreign_keys: tuple[str, ...] = ()

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

    def key_columns(self, table: str) -> set[str]:
        """Columns of ``table`` that take part in a key: its primary key, its foreign keys, and the
        columns other tables' foreign keys reference."""
        info = self.tables[table]
        columns = set(info.primary_key)
        for fk in info.foreign_keys:
            columns.update(fk.columns)
        for _, fk in self.children(table):
            columns.update(fk.ref_columns)
        return columns

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
