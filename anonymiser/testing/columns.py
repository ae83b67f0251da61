"""How a factory fills each column, decided once per table from the dataset's manifest.

The manifest holds the output schema (types, lengths, keys, foreign keys) and, per column, the
policy's strategy; the rules below turn them into one role per column:

==================  ===========================================================================
``omit``            the database makes the value: a generated column, an identity ``ALWAYS``
``parent``          part of a foreign key: the parent row's key (a new parent, or a reused one)
``null``            the policy nulls the column
``unique_int``      an integer that alone is a key: a run-unique number above the dataset's keys
``next_in_parent``  an integer key member beside other key columns (``order_item.line_no``):
                    one more than the largest among rows sharing the other key columns
``unique_text``     text that alone is a key and is not faked: a run-unique token
``uuid``            a new random UUID
``fake``            a personal column: the policy's keyed strategy, applied anew
``sample``          anything else: a value drawn from the masked dataset's own values of that
                    column (so enums, CHECK constraints and formats hold); generalised and
                    free-text columns too (their masked values are already coarse or rewritten)
==================  ===========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from anonymiser.mask import registry
from anonymiser.mask.base import Strategy, own_syntax
from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo
from anonymiser.write.manifest import Manifest

Role = Literal["omit", "parent", "null", "unique_int", "next_in_parent", "unique_text", "uuid", "fake", "sample"]
# Re-applying these to their own output gives nothing useful: a region of a region, Presidio over
# already rewritten text. Their masked values are sampled instead.
SAMPLED_STRATEGIES = frozenset({"free_text"})
SAMPLED_TECHNIQUES = frozenset({"generalisation", "none"})


@dataclass(frozen=True)
class ColumnSpec:
    table: str
    info: ColumnInfo
    role: Role
    strategy: str = "keep"
    options: dict[str, Any] = field(default_factory=dict)
    unique: bool = False                 # alone a key: checked against the table before the insert
    scope: tuple[str, ...] = ()          # next_in_parent: the other columns of its key

    @property
    def name(self) -> str:
        return self.info.name

    def build_strategy(self) -> Strategy:
        return registry.build(self.strategy, self.options)


@dataclass(frozen=True)
class ParentLink:
    fk: ForeignKey
    required: bool          # a NOT NULL column: the row cannot exist without its parent
    cyclic: bool            # self-reference or cycle: a new parent would need a parent of its own

    @property
    def columns(self) -> tuple[str, ...]:
        return self.fk.columns


@dataclass(frozen=True)
class TableSpec:
    info: TableInfo
    columns: dict[str, ColumnSpec]
    parents: tuple[ParentLink, ...]

    @property
    def name(self) -> str:
        return self.info.name

    def link_of(self, column: str) -> ParentLink:
        return next(link for link in self.parents if column in link.columns)


def _rule(manifest: Manifest, table: str, column: str) -> tuple[str, dict[str, Any]]:
    """The strategy the dataset was masked with, and its options from the policy."""
    masking = manifest.tables[table].masking.get(column) if table in manifest.tables else None
    return (masking.strategy, dict(masking.options)) if masking else ("keep", {})


def _cyclic(schema: SchemaInfo) -> set[tuple[str, str]]:
    """(child, parent) pairs inside one strongly connected component (self-references included)."""
    pairs = set()
    for group in schema.strongly_connected():
        members = set(group)
        for name in group:
            for fk in schema.tables[name].foreign_keys:
                if fk.ref_table in members and (len(group) > 1 or fk.ref_table == name):
                    pairs.add((name, fk.ref_table))
    return pairs


def table_specs(manifest: Manifest) -> dict[str, TableSpec]:
    schema = manifest.schema_
    cyclic = _cyclic(schema)
    specs = {}
    for table in schema.tables.values():
        real = [fk for fk in table.foreign_keys if not fk.virtual and fk.ref_table in schema.tables]
        taken = {c for fk in real for c in fk.columns}
        # A virtual FK (declared in the policy, not in the database) is followed too, unless it shares
        # a column with a real one: the real constraint decides that column's value.
        virtual = [fk for fk in table.foreign_keys if fk.virtual and fk.ref_table in schema.tables
                   and not taken & set(fk.columns)]
        links = tuple(
            ParentLink(fk=fk, required=any(not table.column(c).nullable for c in fk.columns),
                       cyclic=(table.name, fk.ref_table) in cyclic)
            for fk in real + virtual
        )
        fk_columns = {c for link in links for c in link.columns}
        columns = {c.name: _column_spec(manifest, table, c, fk_columns) for c in table.columns}
        specs[table.name] = TableSpec(info=table, columns=columns, parents=links)
    return specs


def _narrowest_reference(manifest: Manifest, table: TableInfo, column: ColumnInfo) -> ColumnInfo:
    """``column`` with the width of the narrowest column that references it: a new key must fit every
    foreign key that will point at it (Pagila's integer store.store_id, referenced by smallint columns)."""
    widths = [column.bits] + [
        other.column(child).bits
        for other in manifest.schema_.tables.values() for fk in other.foreign_keys
        if fk.ref_table == table.name for child, ref in zip(fk.columns, fk.ref_columns, strict=True)
        if ref == column.name]
    known = [bits for bits in widths if bits is not None]
    return column.model_copy(update={"bits": min(known)}) if known and min(known) != column.bits else column


def _unique_index_columns(table: TableInfo) -> set[str]:
    """Columns that are alone the key of a unique index that is no constraint (PostgreSQL's partial unique
    index, the soft-delete idiom): a new row's value must still be new."""
    found = set()
    for index in table.indexes:
        keys = _SINGLE_KEY.match(index.definition) if index.unique else None
        name = keys and keys.group(1).strip('`"')
        if name and name in index.columns:
            found.add(name)
    return found


# The key list when it is one plain column: … USING btree (col) [WHERE …] (PostgreSQL), … (`col`) (MySQL)
_SINGLE_KEY = re.compile(r"[^(]*\(\s*([^(),\s]+)\s*\)")


def _counter_of(table: TableInfo, key_set: tuple[str, ...], fk_columns: set[str]) -> str | None:
    """The one column of a composite key that counts within the others (``order_item.line_no``): its last
    integer column that is no foreign key. Only one, or two integers of one key would wait on each other."""
    counters = [name for name in key_set if name not in fk_columns and table.column(name).kind == "integer"]
    return counters[-1] if counters else None


def _column_spec(manifest: Manifest, table: TableInfo, column: ColumnInfo, fk_columns: set[str]) -> ColumnSpec:
    strategy, options = _rule(manifest, table.name, column.name)
    spec = partial(ColumnSpec, table=table.name, info=column, strategy=strategy, options=options)
    alone_unique = table.is_unique_column(column.name) or column.name in _unique_index_columns(table)
    if column.derived or column.identity == "always":
        return spec(role="omit")
    if column.name in fk_columns:
        return spec(role="parent")
    if strategy == "null":
        return spec(role="null")
    if column.kind == "integer" and alone_unique:
        return spec(role="unique_int", unique=True, info=_narrowest_reference(manifest, table, column))
    key_sets = [s for s in table.unique_sets() if column.name in s and len(s) > 1]
    if column.kind == "integer" and key_sets and column.name == _counter_of(table, key_sets[0], fk_columns):
        return spec(role="next_in_parent", scope=tuple(c for c in key_sets[0] if c != column.name))
    if column.kind == "uuid":
        return spec(role="uuid", unique=alone_unique)
    faked = strategy not in SAMPLED_STRATEGIES and registry.get(strategy).technique not in SAMPLED_TECHNIQUES
    textual = column.kind in ("string", "text") or (column.kind == "other" and own_syntax(column) is None)  # citext
    if alone_unique and textual and not faked:
        return spec(role="unique_text", unique=True)
    return spec(role="fake" if faked else "sample", unique=alone_unique)
