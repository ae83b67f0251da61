"""What every SQL dialect shares: table plans (target types, keys, deferred FKs), batch reading, statements.

A dialect module only says how its types are spelled and how a value is written; the order of
tables, which foreign keys wait until after the data, and the batching are decided here once.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from anonymiser.errors import OutputError
from anonymiser.schema import ColumnInfo, ColumnKind, ForeignKey, IndexInfo, SchemaInfo, TableInfo, ViewInfo
from anonymiser.source.read import arrow_type
from anonymiser.write.manifest import Manifest
from anonymiser.write.parquet import read_batches
from anonymiser.write.sql import render
from anonymiser.write.sql.plans import ColumnPlan, TablePlan
from anonymiser.write.sql.portable import CURRENT_TIMESTAMP, mapping_warnings, portable_default

BATCH_ROWS = 50_000
STATEMENT_BYTES = 1 << 20   # one INSERT stays far below every server's packet limit (MariaDB: 16 MiB)
MaxChars = Callable[[str, str], int]


_ARROW_KIND: list[tuple[Callable[[pa.DataType], bool], ColumnKind]] = [
    (pa.types.is_boolean, "boolean"), (pa.types.is_integer, "integer"), (pa.types.is_floating, "float"),
    (pa.types.is_decimal, "decimal"), (pa.types.is_date, "date"), (pa.types.is_timestamp, "datetime"),
    (pa.types.is_time, "time"), (pa.types.is_duration, "interval"),
    (lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t), "binary"),
    (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t), "string"),
    (lambda t: pa.types.is_list(t) or pa.types.is_large_list(t), "array"),
]
_TEXT_KINDS = {"string", "text", "json", "uuid", "other", "enum", "set"}


def arrow_kind(arrow: pa.DataType) -> ColumnKind | None:
    if pa.types.is_dictionary(arrow):
        arrow = arrow.value_type
    return next((kind for test, kind in _ARROW_KIND if test(arrow)), None)


def effective_kind(info: ColumnInfo, arrow: pa.DataType) -> ColumnKind:
    """The column's kind, unless masking changed what the data holds (e.g. an integer now a token)."""
    found = arrow_kind(arrow)
    if found is None:
        raise OutputError(f"cannot write Arrow type {arrow} to SQL", table=None, column=info.name,
                          hint="Mask the column to a supported type (string, number, date, binary).")
    if found == info.kind or (found == "string" and info.kind in _TEXT_KINDS):
        return info.kind
    if found == "string" and info.kind == "decimal" and info.precision is None:
        return "decimal"   # PostgreSQL numeric without precision travels as exact text
    if found == "binary" and info.kind == "uuid":
        return "uuid"
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return "array"
    return found


def constraint_name(prefix: str, table: str, index: int) -> str:
    """Unique per database (MySQL) and within 63 bytes (PostgreSQL), whatever the table is called."""
    name = f"{prefix}_{table}_{index}"
    if len(name.encode()) > 60:
        name = f"{prefix}_{hashlib.sha256(table.encode()).hexdigest()[:16]}_{index}"
    return name


def table_files(directory: Path, manifest: Manifest, table: str) -> list[Path]:
    entry = manifest.tables.get(table)
    return [directory / f.path for f in entry.files] if entry else []


def arrow_types(directory: Path, manifest: Manifest, table: TableInfo) -> dict[str, pa.DataType]:
    files = table_files(directory, manifest, table.name)
    if not files:
        return {c.name: arrow_type(c) for c in table.columns}
    schema = pq.read_schema(files[0])
    missing = [c.name for c in table.columns if c.name not in schema.names]
    if missing:
        raise OutputError(f"the Parquet file lacks column(s) {missing} that the manifest lists",
                          table=table.name, hint="Re-run 'anonymiser run': the output directory is inconsistent.")
    return {c.name: schema.field(c.name).type for c in table.columns}


def iter_batches(directory: Path, manifest: Manifest, table: TableInfo,
                 batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The table's rows in bounded batches, columns in schema order, across all its part files."""
    names = table.column_names
    for path in table_files(directory, manifest, table.name):
        if not path.is_file():
            raise OutputError(f"missing data file {path}", table=table.name,
                              hint="Re-run 'anonymiser run': the output directory is incomplete.")
        yield from read_batches(path, names, batch_rows)


def scan_max_chars(directory: Path, manifest: Manifest) -> MaxChars:
    """Longest value (in characters) of a string column, read from the data on first use."""
    cache: dict[tuple[str, str], int] = {}

    def max_chars(table: str, column: str) -> int:
        if (table, column) not in cache:
            longest = 0
            for path in table_files(directory, manifest, table):
                for batch in read_batches(path, [column]):
                    array = render.plain(batch.column(0))
                    lengths = pc.utf8_length(array.cast(render.TEXT)) if arrow_kind(array.type) == "string" \
                        else pc.binary_length(array)
                    longest = max(longest, int(pc.max(lengths).as_py() or 0))
            cache[(table, column)] = longest
        return cache[(table, column)]

    return max_chars


def _type_source(schema: SchemaInfo, table: str, column: str) -> tuple[str, ColumnInfo]:
    """A FK column takes its parent's type (MySQL refuses FKs between INT and BIGINT), followed to the root."""
    seen: set[tuple[str, str]] = set()
    while (table, column) not in seen:
        seen.add((table, column))
        for fk in schema.tables[table].foreign_keys:
            if fk.virtual or fk.ref_table not in schema.tables or column not in fk.columns:
                continue
            ref_column = fk.ref_columns[fk.columns.index(column)]
            ref_table = schema.tables[fk.ref_table]
            if ref_column in ref_table.column_names:
                table, column = fk.ref_table, ref_column
                break
        else:
            break
    return table, schema.tables[table].column(column)


def same_engine(schema: SchemaInfo, dialect: Dialect) -> bool:
    return {"postgres": "postgresql", "mariadb": "mysql"}.get(schema.dialect, schema.dialect) == dialect.name


def plan_tables(directory: Path, manifest: Manifest, dialect: Dialect) -> list[TablePlan]:
    schema = manifest.schema_
    native = same_engine(schema, dialect)
    order = [t for t in manifest.load_order if t in schema.tables] or schema.load_order()
    order += [t for t in schema.load_order() if t not in order]
    deferred = {(t, fk) for t, fk in schema.deferred_foreign_keys()}
    key_columns: set[tuple[str, str]] = set()
    for name, table in schema.tables.items():
        for cols in table.unique_sets():
            key_columns.update((name, c) for c in cols)
        for fk in table.foreign_keys:
            if not fk.virtual:
                key_columns.update((name, c) for c in fk.columns)
                key_columns.update((fk.ref_table, c) for c in fk.ref_columns)
    arrows = {t: arrow_types(directory, manifest, schema.tables[t]) for t in order}
    plans = []
    for name in order:
        table = schema.tables[name]
        columns: list[ColumnPlan] = []
        warnings: list[str] = []
        for c in table.columns:
            kind = effective_kind(c, arrows[name][c.name])
            source_table, source = _type_source(schema, name, c.name)
            if kind != c.kind:   # masking changed what the column holds: the source's facets do not apply
                source_table, source = name, ColumnInfo(name=c.name, kind=kind, sql_type=c.sql_type)
            elif source.kind != c.kind:   # masking changed one side of the FK: keep the column's own facets
                source_table, source = name, c
            exact = native and kind == c.kind and c.native_type is not None
            if c.derived and not exact:   # its expression is the source engine's: left out, and said so
                how = "generated column" if c.generated else "column computed by a trigger"
                warnings.append(f"{name}.{c.name}: {how} left out (its expression is {schema.dialect}'s, or masking "
                                "changed its type); it is never copied from the source")
                continue
            if exact:
                source_table, source = name, c
            columns.append(ColumnPlan(info=c, kind=kind, arrow=arrows[name][c.name], type_info=source,
                                      type_table=source_table, key=(name, c.name) in key_columns, native=exact))
        # Virtual FKs come from the policy: the source never enforced them, so neither does the dump.
        real = [fk for fk in table.foreign_keys if not fk.virtual and fk.ref_table in schema.tables]
        plan = TablePlan(table=table, columns=columns,
                         inline_fks=[fk for fk in real if (name, fk) not in deferred],
                         deferred_fks=[fk for fk in real if (name, fk) in deferred],
                         native=native, warnings=warnings)
        plan.indexes, index_warnings = _carried_indexes(table, columns, native, schema.dialect)
        plan.warnings += index_warnings + _fk_warnings(table, real, dialect)
        if len(table.primary_key) == 1:
            pk = next(c for c in columns if c.info.name == table.primary_key[0])
            if pk.info.autoincrement and pk.kind == "integer":
                plan.identity = pk.info.name
                # The counter continues where the source's does (F35), or after the loaded keys if higher.
                plan.identity_next = max(plan.identity_next, schema.counters.get(name, 1))
        plans.append(plan)
    dialect.assign_types(plans, scan_max_chars(directory, manifest))
    for plan in plans:
        for parent in plan.table.inherits:
            plan.warnings.append(
                f"{plan.name}: inherits from {parent} in the source, not in the copy: {parent} holds its own rows "
                f"and {plan.name}'s (a SELECT on {parent} returned them), {plan.name} its own; queries on either "
                "count as in the source, ONLY and the inheritance itself do not carry over")
    if not native:
        for plan in plans:
            plan.warnings += mapping_warnings(plan, schema.dialect, dialect.name)
        if schema.views and plans:
            names = ", ".join(f"{v.name} (materialized)" if v.materialized else v.name for v in schema.views)
            plans[0].warnings.append(f"{len(schema.views)} view(s) not recreated: {names}: their SQL is "
                                     f"{schema.dialect}'s")
    elif plans:
        plans[0].warnings += recreated_views(schema, plans)[1]
    return plans


def _carried_indexes(table: TableInfo, columns: list[ColumnPlan], native: bool,
                     source: str) -> tuple[list[IndexInfo], list[str]]:
    """The source's indexes a copy rebuilds: on the same engine, each one whose columns keep their source
    type; on another engine none (their definitions are the source engine's), and said so."""
    if not table.indexes:
        return [], []
    if not native:   # unique ones stay UNIQUE constraints
        names = ", ".join(i.name for i in table.indexes if i.name not in table.unique_names)
        return [], [f"{table.name}: index(es) {names} not recreated: their definitions are {source}'s"] if names else []
    exact = {c.info.name for c in columns if c.native}
    kept, warnings = [], []
    for index in table.indexes:
        if index.calls:
            warnings.append(f"{table.name}: index {index.name} not recreated: it calls {', '.join(index.calls)}, "
                            "a function of the source (no dump carries functions)")
        elif not set(index.columns) <= exact:
            warnings.append(f"{table.name}: index {index.name} not recreated: masking changed the type of a "
                            "column it reads")
        else:
            kept.append(index)
    return kept, warnings


def _fk_warnings(table: TableInfo, fks: list[ForeignKey], dialect: Dialect) -> list[str]:
    """Foreign-key clauses the target cannot declare (MySQL: DEFERRABLE, SET DEFAULT, SET NULL on a NOT NULL
    column), dropped and said so."""
    out = []
    for fk in fks:
        where = f"{table.name}: foreign key {fk.name or '(' + ', '.join(fk.columns) + ')'}"
        if fk.deferrable and not dialect.deferrable_fks:
            out.append(f"{where}: DEFERRABLE dropped ({dialect.name} checks foreign keys at once)")
        for event, action in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)):
            if action and not dialect.fk_action_allowed(action, fk, table):
                out.append(f"{where}: ON {event} {action} dropped ({dialect.name} refuses it here)")
    return out


def recreated_views(schema: SchemaInfo, plans: list[TablePlan]) -> tuple[list[ViewInfo], list[str]]:
    """The views a same-engine copy can recreate, dependencies first, and a warning naming each one it
    cannot: it reads a table or view not in the copy, or calls a function of the source (no dump carries
    functions). A view that cannot be created is left out rather than failing the load."""
    made = {p.name for p in plans} | {child for p in plans if p.table.partitioning
                                      for child, _ in p.table.partitioning.partitions}
    pending, ready = list(schema.views), []
    while True:
        now = [v for v in pending if not v.calls and made.issuperset(v.reads)]
        if not now:
            break
        ready += now
        made.update(v.name for v in now)
        pending = [v for v in pending if v not in now]
    warnings = []
    for view in pending:
        if view.calls:
            why = f"it calls {', '.join(view.calls)}, the source's own function(s), which the copy does not carry"
        else:
            why = f"it reads {', '.join(r for r in view.reads if r not in made)}, not in this copy"
        warnings.append(f"{'materialized view' if view.materialized else 'view'} {view.name} not recreated: {why}")
    return ready, warnings


@dataclass(frozen=True)
class Rendered:
    """A batch as text: ``rows`` concatenated in order is valid script text; ``bounds`` cut it into statements."""

    rows: pa.Array
    bounds: np.ndarray

    def script(self) -> memoryview:
        return render.concat_bytes(self.rows)

    def statements(self) -> list[bytes]:
        return render.value_slices(self.rows, self.bounds)


def group_bounds(rows: pa.Array, limit: int = STATEMENT_BYTES) -> np.ndarray:
    """Row indexes where statements start (plus the end), so each statement is about ``limit`` bytes."""
    lengths = pc.binary_length(rows).to_numpy(zero_copy_only=False).astype(np.int64) + 2
    group = (np.cumsum(lengths) - 1) // limit
    starts = np.flatnonzero(np.diff(group)) + 1
    return np.concatenate([[0], starts, [len(rows)]]).astype(np.int64)


class Dialect(ABC):
    """How one target database spells types and values; the script's order is fixed in ``dump.py``."""

    name: str
    null: str = "NULL"
    transactional_ddl: bool = True   # CREATE TABLE inside the transaction (not MySQL: DDL commits)
    inline_deferred: bool = False    # deferred FKs declared in CREATE TABLE (SQLite cannot ALTER them in)
    deferrable_fks: bool = True      # DEFERRABLE foreign keys (not MySQL)
    set_default_fks: bool = True     # ON DELETE / UPDATE SET DEFAULT (InnoDB refuses it)
    set_null_on_not_null: bool = True   # SET NULL on a NOT NULL column (InnoDB refuses it)

    @abstractmethod
    def quote(self, identifier: str) -> str: ...

    @abstractmethod
    def column_type(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> str: ...

    @abstractmethod
    def literals(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        """Every value of the column as this dialect writes it; nulls become the NULL token."""

    @abstractmethod
    def render_batch(self, plan: TablePlan, batch: pa.RecordBatch) -> Rendered: ...

    def client_lines(self) -> list[str]:
        """Commands for the command-line client only (stop on the first error)."""
        return []

    def session(self) -> list[str]:
        """Session settings the data relies on, run before anything else (script and ``load``)."""
        return []

    def assign_types(self, plans: list[TablePlan], max_chars: MaxChars) -> None:
        for plan in plans:
            plan.columns = [replace(c, sql_type=self.column_type(c, max_chars, plan.name)) for c in plan.columns]

    def begin_table(self, plan: TablePlan) -> str:
        return ""

    def end_table(self, plan: TablePlan) -> str:
        return ""

    def after_data(self, plan: TablePlan) -> list[str]:
        """Statements once every table holds its rows: deferred FKs, identity counters."""
        return [] if self.inline_deferred else self.add_deferred_foreign_keys(plan)

    def column_list(self, plan: TablePlan) -> str:
        return ", ".join(self.quote(c.info.name) for c in plan.data_columns)

    def column_definition(self, column: ColumnPlan, plan: TablePlan) -> str:
        text = f"{self.quote(column.info.name)} {column.sql_type}"
        info = column.info
        if column.native and info.collation:
            text += self.collate_clause(info)
        if column.native and info.generated is not None:
            return text + f" GENERATED ALWAYS AS ({info.generated}) {'STORED' if info.generated_stored else 'VIRTUAL'}"
        if not info.nullable:
            text += " NOT NULL"
        if column.native and info.default is not None and not info.identity:
            text += f" DEFAULT {info.default}"
        elif not column.native and (default := portable_default(info.default, column.kind)) is not None:
            text += f" DEFAULT {self.current_timestamp(column) if default == CURRENT_TIMESTAMP else default}"
        return text

    def current_timestamp(self, column: ColumnPlan) -> str:
        return CURRENT_TIMESTAMP

    def collate_clause(self, info: ColumnInfo) -> str:
        return f" COLLATE {self.quote(info.collation or '')}"

    def before_tables(self, plans: list[TablePlan], schema: SchemaInfo,
                      skip: frozenset[str] = frozenset()) -> list[str]:
        """Objects the tables depend on (PostgreSQL types and sequences), same engine only."""
        return []

    def after_tables(self, plans: list[TablePlan], schema: SchemaInfo) -> list[str]:
        """Views, once the data and constraints are in (same engine only: their SQL is the source's)."""
        if not plans or not plans[0].native:
            return []
        # A materialized view is computed anew from the masked rows (WITH DATA): none of its source rows is copied.
        return [f"CREATE {'MATERIALIZED VIEW' if v.materialized else 'VIEW'} {self.quote(v.name)} AS {v.definition};\n"
                for v in recreated_views(schema, plans)[0]]

    def check_clauses(self, plan: TablePlan) -> list[str]:
        if not plan.native:
            return []
        return [(f"CONSTRAINT {self.quote(c.name)} " if c.name else "") + f"CHECK ({c.expression})"
                for c in plan.table.checks]

    def fk_action_allowed(self, action: str, fk: ForeignKey, table: TableInfo | None) -> bool:
        """Whether the target declares ``action``: InnoDB refuses SET DEFAULT, and SET NULL on a NOT NULL
        column (which PostgreSQL and SQLite accept, failing only when the action runs)."""
        if action == "SET DEFAULT":
            return self.set_default_fks
        if action == "SET NULL" and not self.set_null_on_not_null and table is not None:
            return all(table.column(c).nullable for c in fk.columns if c in table.column_names)
        return True

    def foreign_key_clause(self, fk: ForeignKey, *, deferred: bool = False, table: TableInfo | None = None) -> str:
        """The FK with the source's ON DELETE / ON UPDATE actions and DEFERRABLE where the target has them;
        ``deferred``: checked at commit whatever the source said (a cycle the rows close only at the end)."""
        cols = ", ".join(self.quote(c) for c in fk.columns)
        refs = ", ".join(self.quote(c) for c in fk.ref_columns)
        text = f"FOREIGN KEY ({cols}) REFERENCES {self.quote(fk.ref_table)} ({refs})"
        for event, action in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)):
            if action and self.fk_action_allowed(action, fk, table):
                text += f" ON {event} {action}"
        if deferred and self.deferred_suffix():
            return text + self.deferred_suffix()
        if fk.deferrable and self.deferrable_fks:
            text += " DEFERRABLE INITIALLY " + ("DEFERRED" if fk.initially_deferred else "IMMEDIATE")
        return text

    def table_options(self) -> str:
        return ""

    def deferred_suffix(self) -> str:
        return ""

    def create_table(self, plan: TablePlan) -> str:
        lines = [self.column_definition(c, plan) for c in plan.columns]
        primary_key = self.primary_key_clause(plan)
        if primary_key:
            lines.append(primary_key)
        indexed = {i.name for i in plan.indexes}   # unique indexes: rebuilt as the source's indexes
        names = plan.table.unique_names if len(plan.table.unique_names) == len(plan.table.unique) \
            else (None,) * len(plan.table.unique)
        uniques = [(cols, name) for cols, name in zip(plan.table.unique, names, strict=True)
                   if cols != plan.table.primary_key and not (plan.native and name in indexed)]
        for i, (cols, source_name) in enumerate(uniques):
            name = self.quote(source_name if plan.native and source_name else constraint_name("uq", plan.name, i + 1))
            lines.append(f"CONSTRAINT {name} UNIQUE ({', '.join(self.quote(c) for c in cols)})")
        lines += self.index_clauses(plan)
        lines += self.check_clauses(plan)
        fks = plan.inline_fks + (plan.deferred_fks if self.inline_deferred else [])
        for i, fk in enumerate(fks):
            name = self.quote(self.fk_name(plan, fk, i + 1))
            clause = self.foreign_key_clause(fk, deferred=fk in plan.deferred_fks, table=plan.table)
            # An unnamed FK (SQLite's inline REFERENCES) stays unnamed on the same engine.
            lines.append(clause if plan.native and fk.name is None else f"CONSTRAINT {name} {clause}")
        body = ",\n  ".join(lines)
        return f"CREATE TABLE {self.quote(plan.name)} (\n  {body}\n){self.table_suffix(plan)};\n"

    def index_clauses(self, plan: TablePlan) -> list[str]:
        """Indexes declared inside CREATE TABLE (MySQL's KEY clauses); other engines create them apart."""
        return []

    def table_suffix(self, plan: TablePlan) -> str:
        return self.table_options()

    def primary_key_clause(self, plan: TablePlan) -> str | None:
        if not plan.table.primary_key:
            return None
        return f"PRIMARY KEY ({', '.join(self.quote(c) for c in plan.table.primary_key)})"

    def create_statements(self, plan: TablePlan) -> list[str]:
        """CREATE TABLE, and what belongs to the table right after it (partitions, sequence ownership)."""
        return [self.create_table(plan)]

    def add_deferred_foreign_keys(self, plan: TablePlan) -> list[str]:
        first = len(plan.inline_fks) + 1
        return [f"ALTER TABLE {self.quote(plan.name)} ADD CONSTRAINT "
                f"{self.quote(self.fk_name(plan, fk, first + i))} {self.foreign_key_clause(fk, table=plan.table)};\n"
                for i, fk in enumerate(plan.deferred_fks)]

    def fk_name(self, plan: TablePlan, fk: ForeignKey, index: int) -> str:
        """The source's constraint name on the same engine; a generated one elsewhere."""
        return fk.name if plan.native and fk.name else constraint_name("fk", plan.name, index)

    def row_texts(self, plan: TablePlan, batch: pa.RecordBatch) -> list[pa.Array]:
        return [self.literals(c, batch.column(c.info.name), plan.name) for c in plan.data_columns]


def member_checks(dialect: Dialect, plan: TablePlan) -> list[str]:
    """An ENUM written where the target has no such type keeps its members as a CHECK constraint."""
    checks = []
    for column in plan.columns:
        if column.kind == "enum" and not column.native and column.info.members and column.sql_type != "enum":
            members = ", ".join("'" + m.replace("'", "''") + "'" for m in column.info.members)
            checks.append(f"CHECK ({dialect.quote(column.info.name)} IN ({members}))")
    return checks


def quote_with(identifier: str, mark: str) -> str:
    if "\x00" in identifier:
        raise OutputError("an identifier contains a NUL character", table=identifier)
    return mark + identifier.replace(mark, mark * 2) + mark


def sql_string(text: pa.Array) -> pa.Array:
    """``'...'`` with quotes doubled: the standard SQL string literal (no backslash escapes)."""
    return render.concat("'", pc.replace_substring(text, "'", "''"), "'")


def integer_precision(column: ColumnPlan) -> tuple[int, bool]:
    """(bits, unsigned) of an integer column, from the source type or, failing that, the Arrow type."""
    arrow = column.arrow
    unsigned = column.type_info.unsigned or (pa.types.is_unsigned_integer(arrow) if pa.types.is_integer(arrow)
                                             else False)
    bits = column.type_info.bits or (arrow.bit_width if pa.types.is_integer(arrow) else 64)
    return bits, unsigned


def decimal_precision(column: ColumnPlan) -> tuple[int | None, int | None]:
    info, arrow = column.type_info, column.arrow
    if info.precision is not None:
        return info.precision, info.scale or 0
    if pa.types.is_decimal(arrow):
        return arrow.precision, arrow.scale
    return None, None
