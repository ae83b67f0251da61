"""factory_boy factories generated from the dataset's manifest, inserting through the test's connection.

``FactorySession.factory_for(table)`` returns a ``factory.Factory`` subclass with one declaration per
column (see ``columns.py`` for the roles and ``values.py`` for the values). Its ``create()`` inserts
one row through the current test's ``anonymiser_conn`` (in a SAVEPOINT of its own, so a refused row
leaves the test's transaction usable) and returns the row as stored (a dict, via RETURNING); its
``build()`` returns the dict without inserting.

Foreign keys: each is a ``ParentKey`` declaration. Without overrides the parent is created first,
with its own parents (a data chain), through the same strategy (``build`` builds them, ``create``
inserts them). ``reuse_parents=True`` takes an existing parent row instead. A self-reference or a
cycle is left NULL when nullable (a new parent would need a parent of its own), else an existing row
of the referenced table closes it.
Everything is rolled back with the test's transaction, so nothing needs deleting afterwards.
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import factory
import factory.random
import sqlalchemy as sa
from factory.builder import BuildStep, Resolver

from anonymiser.testing.columns import ColumnSpec, ParentLink, TableSpec, table_specs
from anonymiser.testing.values import FactoryError, Tokens, Values
from anonymiser.write.manifest import Manifest

REUSE = "reuse_parents"
MAX_DEPTH = 32            # parents of parents …: deeper than any real FK chain


class Row(dict[str, Any]):
    """A row as a dict that also reads columns as attributes (``row["order_id"]`` or ``row.order_id``),
    so factory_boy's ``SelfAttribute("order.order_id")`` and ``LazyAttribute`` work on parents."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class TableFactory(factory.Factory):
    """Base of the generated factories: rows are dicts, ``create`` inserts through the test's connection."""

    class Meta:
        abstract = True
        model = Row

    class Params:
        reuse_parents = False

    _session: ClassVar[FactorySession]
    _table: ClassVar[str]

    @classmethod
    def _build(cls, model_class: Any, *args: Any, **kwargs: Any) -> Row:
        return Row(kwargs)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Row:
        return cls._session.insert(cls._table, kwargs)


class ParentKey(factory.declarations.BaseDeclaration):
    """One column of a foreign key: the parent row's referenced value."""

    def __init__(self, session: FactorySession, table: str, link: ParentLink, column: str) -> None:
        super().__init__()
        self.session = session
        self.table = table
        self.link = link
        self.ref_column = link.fk.ref_columns[link.columns.index(column)]

    def evaluate(self, instance: Resolver, step: BuildStep, extra: dict[str, Any]) -> Any:
        parent = self.session.parent_for(instance, step, self.table, self.link)
        return None if parent is None else parent[self.ref_column]


def _attribute_names(spec: TableSpec) -> dict[str, str]:
    """Column → factory attribute: the column's own name unless factory_boy would misread it."""
    reserved = set(dir(factory.Factory)) | {REUSE, "Meta", "Params"}
    names = {}
    for i, column in enumerate(spec.columns):
        unsafe = column in reserved or "__" in column or column.startswith("_") or keyword.iskeyword(column)
        names[column] = f"column_{i}_" if unsafe else column
    return names


def _tables_being_built(step: BuildStep) -> set[str]:
    """The tables of the row being built and of the rows waiting for it as their parent."""
    tables = set()
    current: BuildStep | None = step
    while current is not None:
        tables.add(current.builder.factory_meta.factory._table)
        current = current.parent_step
    return tables


def _class_name(table: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in table).split()
    return "".join(w[:1].upper() + w[1:] for w in words) + "Factory"


class FactorySession:
    """A worker session's factories: the generated classes, their values, the current test's connection."""

    def __init__(self, engine: sa.Engine, manifest: Manifest, tokens: Tokens) -> None:
        self.specs = table_specs(manifest)
        metadata = sa.MetaData()
        metadata.reflect(engine, only=list(self.specs))
        self.tables = {name: metadata.tables[name] for name in self.specs}
        self.values = Values(engine, self.tables, tokens)
        for name, spec in self.specs.items():
            for column in spec.info.columns:
                if column.read_as_text:     # values that do not fit the declared type (SQLite's free typing)
                    self.values.mark_raw(name, column.name)
        self.attributes = {name: _attribute_names(spec) for name, spec in self.specs.items()}
        self._classes: dict[str, type[TableFactory]] = {}

    def spec(self, table: str) -> TableSpec:
        if table not in self.specs:
            close = difflib.get_close_matches(table, self.specs, n=1)
            raise FactoryError(f"the dataset has no table {table!r}",
                               hint=(f"Did you mean {close[0]!r}? " if close else "")
                               + f"Its tables: {', '.join(sorted(self.specs))}.")
        return self.specs[table]

    def factory_for(self, table: str) -> type[TableFactory]:
        spec = self.spec(table)
        if table not in self._classes:
            names = self.attributes[table]
            attrs: dict[str, Any] = {
                "Meta": type("Meta", (), {"model": Row, "rename": {a: c for c, a in names.items() if a != c}}),
                "_session": self, "_table": table, "__doc__": f"Rows of {table!r} (generated from the manifest).",
            }
            for column, column_spec in spec.columns.items():
                if column_spec.role != "omit":
                    attrs[names[column]] = self._declaration(spec, column_spec)
            self._classes[table] = type(_class_name(table), (TableFactory,), attrs)
        return self._classes[table]

    def _declaration(self, table: TableSpec, spec: ColumnSpec) -> factory.declarations.BaseDeclaration:
        if spec.role == "parent":
            return ParentKey(self, table.name, table.link_of(spec.name), spec.name)
        values = self.values
        return factory.LazyAttributeSequence(lambda row, n: values.value(spec, n, row))

    def overrides(self, table: str, given: dict[str, Any]) -> dict[str, Any]:
        """Column names as the caller wrote them → the factory's attribute names; unknown names refused."""
        names = self.attributes[self.spec(table).name]
        unknown = [k for k in given if k not in names]
        if unknown:
            close = difflib.get_close_matches(unknown[0], names, n=1)
            raise FactoryError(f"{table!r} has no column {unknown[0]!r}", table=table,
                               hint=(f"Did you mean {close[0]!r}? " if close else "")
                               + f"Its columns: {', '.join(names)}.")
        return {names[k]: v for k, v in given.items()}

    @property
    def conn(self) -> sa.Connection:
        if self.values.conn is None:
            raise FactoryError("no test connection is bound: the factories insert through anonymiser_conn",
                               hint="Request the anonymiser_factory fixture in the test (or a fixture it uses), "
                                    "and call the factory while the test runs.")
        return self.values.conn

    def insert(self, table: str, row: dict[str, Any]) -> Row:
        self.overrides(table, row)      # a misspelt override is named, not a driver error
        target = self.tables[table]
        conn = self.conn
        with conn.begin_nested():       # a refused row rolls back to here; the test goes on
            returning = [self.values.readable(table, c.name) for c in target.c]
            stored = conn.execute(sa.insert(target).values(row).returning(*returning)).mappings().one()
        return Row(stored)

    def existing(self, table: str, matching: dict[str, Any],
                 unreferenced_by: tuple[str, ParentLink] | None = None) -> Row | None:
        """A random existing row of ``table`` (the dataset's or the test's) with the ``matching`` values;
        with ``unreferenced_by`` (child table, link), one that no row of the child references yet."""
        if self.values.conn is None:
            return None
        target = self.tables[table]
        where = [target.c[name] == value for name, value in matching.items()]
        if unreferenced_by is not None:
            child_table, link = unreferenced_by
            child = self.tables[child_table].alias("anonymiser_child")
            where.append(~sa.exists().where(*[child.c[c] == target.c[r]
                                              for c, r in zip(link.columns, link.fk.ref_columns, strict=True)]))
        count = self.conn.execute(sa.select(sa.func.count()).select_from(target).where(*where)).scalar_one()
        if not count:
            return None
        order = [target.c[c] for c in self.specs[table].info.primary_key] or list(target.c)
        columns = [self.values.readable(table, c.name) for c in target.c]
        query = sa.select(*columns).where(*where).order_by(*order).offset(factory.random.randgen.randrange(count))
        found = self.conn.execute(query.limit(1)).mappings().first()
        return Row(found) if found is not None else None

    def parent_for(self, instance: Resolver, step: BuildStep, table: str, link: ParentLink) -> Row | None:
        """The parent row of one foreign key of the row being built, made or found once per row."""
        cache: dict[Any, Row | None] = step.__dict__.setdefault("_anonymiser_parents", {})
        if link.fk in cache:
            return cache[link.fk]
        names = self.attributes[table]
        extras = step.builder.extras
        given = {ref: extras[names[col]] for col, ref in zip(link.columns, link.fk.ref_columns, strict=True)
                 if names[col] in extras}
        reuse = bool(getattr(instance, REUSE))
        unique = self.specs[table].info.is_unique_set(link.columns)   # each parent row referenced once at most
        free = (table, link) if unique and not given else None
        parent: Row | None = None
        if reuse or given:
            parent = self.existing(link.fk.ref_table, given, unreferenced_by=free)
        if parent is None and not given and link.cyclic:
            if not link.required:
                cache[link.fk] = None     # nullable self-reference or cycle: NULL ends the chain
                return None
            # A NOT NULL self-reference or cycle (Pagila's and Sakila's staff.store_id <-> store.manager_staff_id):
            # an existing row closes it, one no other row of this table references yet when the foreign key is
            # unique (store.manager_staff_id). Without one, a new parent is made, unless that would start the
            # cycle again.
            parent = self.existing(link.fk.ref_table, {}, unreferenced_by=free)
            if parent is None and link.fk.ref_table in _tables_being_built(step):
                raise FactoryError(
                    f"{table}.{', '.join(link.columns)} is a NOT NULL foreign key in a cycle of them, and "
                    f"{link.fk.ref_table!r} has no row " + ("left that no other row references" if unique
                                                             else "to reference"), table=table,
                    hint=f"Create a {link.fk.ref_table!r} row first (with the cycle's keys given), or pass "
                         f"{link.columns[0]}=… naming an existing row.")
        if parent is None:
            if len(step.chain) > MAX_DEPTH:
                raise FactoryError(f"parents of {table!r} nest deeper than {MAX_DEPTH} levels (a cycle of "
                                   "NOT NULL foreign keys?)", table=table,
                                   hint="Pass reuse_parents=True, or the foreign key columns as overrides.")
            parent_factory = self.factory_for(link.fk.ref_table)
            overrides = self.overrides(link.fk.ref_table, given)
            parent = step.recurse(parent_factory, {**overrides, REUSE: reuse})
        cache[link.fk] = parent
        return parent

    @contextmanager
    def bound(self, conn: sa.Connection) -> Iterator[RowFactory]:
        """Factories inserting through ``conn`` for the length of one test."""
        self.values.conn = conn
        try:
            yield RowFactory(self)
        finally:
            self.values.conn = None


class RowFactory:
    """The ``anonymiser_factory`` fixture: ``anonymiser_factory("order_item", quantity=2)``."""

    def __init__(self, session: FactorySession) -> None:
        self._session = session

    def __call__(self, table: str, /, *, reuse_parents: bool = False, **overrides: Any) -> Row:
        """Insert one valid row of ``table`` (parents first) and return it as stored."""
        made: Row = self.factory_for(table).create(
            **{REUSE: reuse_parents, **self._session.overrides(table, overrides)})
        return made

    def create_batch(self, table: str, size: int, /, *, reuse_parents: bool = False,
                     **overrides: Any) -> list[Row]:
        return [self(table, reuse_parents=reuse_parents, **overrides) for _ in range(size)]

    def factory_for(self, table: str) -> type[TableFactory]:
        """The generated factory_boy Factory class of ``table``, for composing your own."""
        return self._session.factory_for(table)

    @property
    def tables(self) -> list[str]:
        return sorted(self._session.specs)
