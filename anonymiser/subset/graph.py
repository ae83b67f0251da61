"""The subset's view of the schema: row identities, relations to follow, and policy name checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from anonymiser.errors import SubsetError
from anonymiser.policy.subset import ChildRule, SubsetPolicy, VirtualForeignKey
from anonymiser.schema import ForeignKey, SchemaInfo, TableInfo


def _suggest(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == name.lower()]
    return f"Did you mean {close[0]!r}?" if close else None


def resolve_table(schema: SchemaInfo, name: str, what: str) -> str:
    """The schema's spelling of ``name`` (exact, else the one case-insensitive match)."""
    if name in schema.tables:
        return name
    folded = [t for t in schema.tables if t.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    hint = _suggest(name, schema.tables) or f"Known tables: {', '.join(sorted(schema.tables))}."
    raise SubsetError(f"{what} names table {name!r}, which is not in the source", table=name, hint=hint)


def resolve_columns(info: TableInfo, names: Sequence[str], what: str) -> tuple[str, ...]:
    out = []
    for name in names:
        if name in info.column_names:
            out.append(name)
            continue
        folded = [c for c in info.column_names if c.lower() == name.lower()]
        if len(folded) == 1:
            out.append(folded[0])
            continue
        known = ", ".join(info.column_names)
        hint = _suggest(name, info.column_names) or f"Columns of {info.name!r}: {known}."
        raise SubsetError(f"{what} names column {name!r}, which {info.name!r} does not have",
                          table=info.name, column=name, hint=hint)
    return tuple(out)


def _virtual(vfk: VirtualForeignKey, schema: SchemaInfo | None) -> tuple[str, ForeignKey]:
    if schema is None:
        return vfk.table, ForeignKey(columns=tuple(vfk.columns), ref_table=vfk.ref_table,
                                     ref_columns=tuple(vfk.ref_columns), virtual=True)
    what = "subset.virtual_foreign_keys"
    table = resolve_table(schema, vfk.table, what)
    ref_table = resolve_table(schema, vfk.ref_table, what)
    columns = resolve_columns(schema.tables[table], vfk.columns, what)
    ref_columns = resolve_columns(schema.tables[ref_table], vfk.ref_columns, what)
    name = f"virtual_{table}_{'_'.join(columns)}"
    return table, ForeignKey(columns=columns, ref_table=ref_table, ref_columns=ref_columns, name=name,
                             virtual=True)


def virtual_foreign_keys(policy: SubsetPolicy | None, schema: SchemaInfo | None = None
                         ) -> list[tuple[str, ForeignKey]]:
    """The policy's virtual FKs as ``(table, ForeignKey(virtual=True))`` for ``SchemaInfo.with_foreign_keys``.

    With ``schema``, names are checked (SubsetError with "did you mean") and spelt as the source does.
    """
    if policy is None:
        return []
    return [_virtual(v, schema) for v in policy.virtual_foreign_keys]


def identity(info: TableInfo) -> tuple[str, ...]:
    """Columns that address one row: the PK, else a unique key of NOT NULL columns, else none."""
    if info.primary_key:
        return info.primary_key
    for unique in info.unique:
        if unique and all(not info.column(c).nullable for c in unique):
            return unique
    return ()


@dataclass(frozen=True)
class Relation:
    """A foreign key seen from its parent: follow it down from kept parent rows?"""

    child: str
    fk: ForeignKey
    follow: bool
    limit: int | None


class SubsetGraph:
    """Per table: the key columns, the columns to carry (keys, FK columns, referenced columns), relations."""

    def __init__(self, schema: SchemaInfo, policy: SubsetPolicy) -> None:
        self.schema = schema
        self.parents: dict[str, list[ForeignKey]] = {
            t: [fk for fk, _ in schema.parents(t)] for t in schema.tables
        }
        referenced: dict[str, list[str]] = {t: [] for t in schema.tables}
        for fks in self.parents.values():
            for fk in fks:
                referenced[fk.ref_table].extend(fk.ref_columns)
        self.key: dict[str, tuple[str, ...]] = {}
        self.carry: dict[str, tuple[str, ...]] = {}
        for name, info in schema.tables.items():
            fk_columns = [c for fk in self.parents[name] for c in fk.columns]
            wanted = {*identity(info), *referenced[name], *fk_columns}
            self.carry[name] = tuple(c for c in info.column_names if c in wanted)
            # Without a row identity the FK columns are the key: rows with a NULL there cannot be named.
            self.key[name] = identity(info) or self.carry[name]
        self.keyed = {t for t in schema.tables if identity(schema.tables[t])}
        self.children = self._relations(policy)

    def _relations(self, policy: SubsetPolicy) -> dict[str, list[Relation]]:
        rules = [(r, self._rule_target(r)) for r in policy.children]
        used: set[int] = set()
        out: dict[str, list[Relation]] = {t: [] for t in self.schema.tables}
        for child, fks in sorted(self.parents.items()):
            for fk in fks:
                follow, limit = policy.include_children, policy.max_children_per_parent
                for i, (rule, (table, via, parent)) in enumerate(rules):
                    if table == child and via in (None, fk.columns) and parent in (None, fk.ref_table):
                        used.add(i)
                        follow = rule.follow
                        limit = rule.limit if rule.limit is not None else limit
                out[fk.ref_table].append(Relation(child, fk, follow, limit))
        for i, (rule, _) in enumerate(rules):
            if i not in used:
                raise SubsetError(
                    f"subset.children rule for {rule.table!r} matches no foreign key", table=rule.table,
                    hint="Give 'via' as the child's FK columns and 'parent' as the table they reference.",
                )
        return out

    def _rule_target(self, rule: ChildRule) -> tuple[str, tuple[str, ...] | None, str | None]:
        table = resolve_table(self.schema, rule.table, "subset.children")
        via = resolve_columns(self.schema.tables[table], rule.via, "subset.children") if rule.via else None
        parent = resolve_table(self.schema, rule.parent, "subset.children") if rule.parent else None
        return table, via, parent

    def relation(self, child: str, fk: ForeignKey) -> Relation:
        return next(r for r in self.children[fk.ref_table] if r.child == child and r.fk == fk)

    def reached(self, roots: Iterable[str]) -> set[str]:
        """Tables the closure touches: roots, children along followed relations, then all their parents."""
        down = set(roots)
        stack = list(down)
        while stack:
            for rel in self.children[stack.pop()]:
                if rel.follow and rel.child not in down:
                    down.add(rel.child)
                    stack.append(rel.child)
        reached = set(down)
        stack = list(down)
        while stack:
            for fk in self.parents[stack.pop()]:
                if fk.ref_table not in reached:
                    reached.add(fk.ref_table)
                    stack.append(fk.ref_table)
        return reached
