"""PostgreSQL: one transaction (DDL included), data as ``COPY … FROM stdin`` in text format."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import OutputError
from anonymiser.schema import SchemaInfo, SequenceInfo, UserType
from anonymiser.write.sql import render
from anonymiser.write.sql.core import (
    ColumnPlan,
    Dialect,
    MaxChars,
    Rendered,
    TablePlan,
    decimal_precision,
    integer_precision,
    member_checks,
    quote_with,
)

_INTEGER_TYPES = {8: "smallint", 16: "smallint", 32: "integer", 64: "bigint"}
# COPY text format: backslash first, so the escapes added after it are not doubled again.
_COPY_ESCAPES = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def copy_escape(text: pa.Array) -> pa.Array:
    for raw, escaped in _COPY_ESCAPES:
        text = pc.replace_substring(text, raw, escaped)
    return text


def _aware(column: ColumnPlan) -> bool:
    return column.type_info.timezone or getattr(column.arrow, "tz", None) is not None


def _innermost(arrow: pa.DataType) -> pa.DataType:
    while pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        arrow = arrow.value_type
    return arrow


def create_type(dialect: Dialect, user_type: UserType) -> str:
    name = dialect.quote(user_type.name)
    if user_type.kind == "enum":
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in user_type.labels)
        return f"CREATE TYPE {name} AS ENUM ({labels});\n"
    if user_type.kind == "range":
        return f"CREATE TYPE {name} AS RANGE (subtype = {user_type.base_type});\n"
    if user_type.kind == "composite":
        attributes = ", ".join(f"{dialect.quote(a)} {t}" for a, t in user_type.attributes)
        return f"CREATE TYPE {name} AS ({attributes});\n"
    text = f"CREATE DOMAIN {name} AS {user_type.base_type}"
    if user_type.collation:
        text += f" COLLATE {dialect.quote(user_type.collation)}"
    if user_type.default is not None:
        text += f" DEFAULT {user_type.default}"
    if not user_type.nullable:
        text += " NOT NULL"
    for check in user_type.checks:
        text += (f" CONSTRAINT {dialect.quote(check.name)}" if check.name else "") + f" CHECK {check.expression}"
    return text + ";\n"


class PostgreSQL(Dialect):
    name = "postgresql"
    null = "\\N"
    sequences: tuple[SequenceInfo, ...] = ()

    def quote(self, identifier: str) -> str:
        return quote_with(identifier, '"')

    def column_type(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> str:
        kind, info = column.kind, column.type_info
        if column.native and info.native_type:
            extra = "[]" * (info.dimensions - 1) if info.dimensions > 1 and info.native_type.endswith("[]") else ""
            return info.native_type + extra   # format_type spells every array with one []
        if kind == "array":
            element = replace(column, kind=info.element_kind or "text", native=False,
                              arrow=_innermost(column.arrow))
            return self.column_type(element, max_chars, table) + "[]" * max(info.dimensions, 1)
        if kind in ("enum", "set"):
            return "text"
        if kind == "integer":
            bits, unsigned = integer_precision(column)
            if unsigned and bits == 64 and column.info.autoincrement:
                return "bigint"   # an identity must be an integer type; ids past 2^63 are refused (warned)
            return _INTEGER_TYPES.get(bits * 2 if unsigned else bits, "numeric(20, 0)")
        if kind == "float":
            return "real" if pa.types.is_float32(column.arrow) else "double precision"
        if kind == "decimal":
            precision, scale = decimal_precision(column)
            return f"numeric({precision}, {scale})" if precision else "numeric"
        if kind == "string":
            return f"varchar({info.length})" if info.length else "text"
        if kind == "datetime":
            return "timestamp(6) with time zone" if _aware(column) else "timestamp(6) without time zone"
        if kind == "json":
            return "jsonb" if "jsonb" in info.sql_type.lower() else "json"
        simple = {"boolean": "boolean", "date": "date", "time": "time(6) without time zone",
                  "interval": "interval", "binary": "bytea", "uuid": "uuid"}
        return simple.get(kind, "text")

    def assign_types(self, plans: list[TablePlan], max_chars: MaxChars) -> None:
        super().assign_types(plans, max_chars)
        # An unsigned 64-bit id stays an identity as bigint; a column referencing it is numeric(20, 0) on its
        # own, which PostgreSQL refuses to join in a foreign key: it takes the id's bigint.
        columns = {(p.name, c.info.name): (p, i) for p in plans for i, c in enumerate(p.columns)}
        for plan in plans:
            for fk in plan.table.foreign_keys:
                for name, ref in zip(fk.columns, fk.ref_columns, strict=True):
                    mine, theirs = columns.get((plan.name, name)), columns.get((fk.ref_table, ref))
                    if mine is None or theirs is None:
                        continue
                    column, parent = mine[0].columns[mine[1]], theirs[0].columns[theirs[1]]
                    if (column.sql_type, parent.sql_type) == ("numeric(20, 0)", "bigint") and column.kind == "integer":
                        mine[0].columns[mine[1]] = replace(column, sql_type="bigint")

    def column_definition(self, column: ColumnPlan, plan: TablePlan) -> str:
        text = super().column_definition(column, plan)
        if column.native:
            if column.info.identity:
                text += f" GENERATED {column.info.identity.upper()} AS IDENTITY"
            return text
        return text + " GENERATED BY DEFAULT AS IDENTITY" if column.info.name == plan.identity else text

    def table_suffix(self, plan: TablePlan) -> str:
        partitioning = plan.table.partitioning
        return f" PARTITION BY {partitioning.key}" if plan.native and partitioning else ""

    def before_tables(self, plans: list[TablePlan], schema: SchemaInfo,
                      skip: frozenset[str] = frozenset()) -> list[str]:
        if not plans or not plans[0].native:
            return []
        names = {p.name for p in plans}
        self.sequences = tuple(s for s in schema.sequences if s.table in names)
        # Extensions the tables use (citext, hstore …): the target's server must offer them.
        return [f"CREATE EXTENSION IF NOT EXISTS {self.quote(e)};\n" for e in schema.extensions] + [
            create_type(self, t) for t in schema.types if t.name not in skip] + [
            f"CREATE SEQUENCE {self.quote(s.name)} AS {s.data_type};\n" for s in self.sequences if s.name not in skip]

    def create_statements(self, plan: TablePlan) -> list[str]:
        statements = [self.create_table(plan)]
        if plan.native and plan.table.partitioning:
            statements += [f"CREATE TABLE {self.quote(child)} PARTITION OF {self.quote(plan.name)} {bound};\n"
                           for child, bound in plan.table.partitioning.partitions]
        statements += [f"ALTER SEQUENCE {self.quote(s.name)} OWNED BY {self.quote(plan.name)}.{self.quote(s.column)};\n"
                       for s in self.sequences if s.table == plan.name] if plan.native else []
        # Before the rows: the trigger computes the column from the masked columns as they are loaded.
        statements += [c.info.computed_by + "\n" for c in plan.columns if c.native and c.info.computed_by]
        # Unique indexes before the rows too (a foreign key may reference one); the others after them.
        return statements + [i.definition + ";\n" for i in plan.indexes if i.unique]

    def check_clauses(self, plan: TablePlan) -> list[str]:
        return super().check_clauses(plan) + member_checks(self, plan)

    def client_lines(self) -> list[str]:
        return ["\\set ON_ERROR_STOP on\n"]

    def session(self) -> list[str]:
        return ["SET client_encoding = 'UTF8';\n", "SET standard_conforming_strings = on;\n",
                "SET client_min_messages = warning;\n", "SET TIME ZONE 'UTC';\n"]

    def literals(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        kind, array = column.kind, render.plain(array)
        if kind == "array":
            return pc.fill_null(copy_escape(self.array_text(column, array, table)), self.null)
        if kind == "integer":
            text = array.cast(render.TEXT)
        elif kind == "float":
            text = render.float_text(array, infinity="Infinity", nan="NaN")
        elif kind == "decimal":
            text = render.decimal_text(array)
        elif kind == "boolean":
            text = render.choose(array, "t", "f").cast(render.TEXT)
        elif kind == "date":
            text = render.date_text(array, infinity=("infinity", "-infinity"), era=True)
        elif kind == "datetime":
            text = render.datetime_text(array, infinity=("infinity", "-infinity"), era=True)
            if _aware(column):
                finite = pc.invert(pc.fill_null(pc.match_substring(text, "infinity"), False))
                text = render.choose(finite, render.concat(text, "+00"), text)
        elif kind == "time":
            text = render.time_text(array)
        elif kind == "interval":
            micros = render.duration_microseconds(array).cast(render.TEXT)
            text = render.concat(micros, " microseconds")
        elif kind == "binary":
            text = render.concat("\\\\x", render.hex_text(array))
        elif kind == "uuid":
            text = render.uuid_text(array)
        else:
            text = render.as_text(array)
            if render.contains_nul(text):
                raise OutputError("a value contains a NUL character, which PostgreSQL text cannot hold",
                                  table=table, column=column.info.name,
                                  hint="Mask or clean the column, or write a MySQL or SQLite dump instead.")
            text = copy_escape(text)
        return pc.fill_null(text, self.null)

    def begin_table(self, plan: TablePlan) -> str:
        return f"COPY {self.quote(plan.name)} ({self.column_list(plan)}) FROM stdin;\n"

    def end_table(self, plan: TablePlan) -> str:
        return "\\.\n"

    def copy_statement(self, plan: TablePlan) -> str:
        return f"COPY {self.quote(plan.name)} ({self.column_list(plan)}) FROM STDIN"

    def render_batch(self, plan: TablePlan, batch: pa.RecordBatch) -> Rendered:
        rows = render.join_rows(self.row_texts(plan, batch), "\t")
        rows = render.concat(rows, "\n")
        return Rendered(rows=rows, bounds=np.array([0, len(rows)], dtype=np.int64))

    def after_data(self, plan: TablePlan) -> list[str]:
        indexes = [i.definition + ";\n" for i in plan.indexes if not i.unique]
        # A table with deferred foreign-key checks pending cannot be indexed: they are run first (the rows
        # are all in).
        statements = (["SET CONSTRAINTS ALL IMMEDIATE;\n"] if indexes else []) + indexes + super().after_data(plan)
        if not plan.identity:
            return statements
        # The counter continues after the loaded keys, so staging inserts without an id do not collide.
        column = next(c for c in plan.columns if c.info.name == plan.identity)
        sequence = next((s for s in self.sequences if s.table == plan.name and s.column == plan.identity), None)
        if column.native and sequence is not None and not column.info.identity:
            statements.append(f"ALTER SEQUENCE {self.quote(sequence.name)} RESTART WITH {plan.identity_next};\n")
        elif not column.native or column.info.identity:
            statements.append(f"ALTER TABLE {self.quote(plan.name)} ALTER COLUMN {self.quote(plan.identity)} "
                              f"RESTART WITH {plan.identity_next};\n")
        return statements

    def array_text(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        """PostgreSQL array literals (``{"a","b",NULL}``), built level by level from the list offsets."""
        element_kind = column.type_info.element_kind or "text"

        def element_text(values: pa.Array) -> pa.Array:
            if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
                return render.list_join(values, element_text, "{", ",", "}", null="NULL")
            plan = replace(column, kind=element_kind, native=column.native, arrow=values.type)
            text = self.literals_plain(plan, values, table)
            quoted = render.concat('"', pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"',
                                                                 '\\"'), '"')
            return pc.fill_null(quoted, "NULL")

        return render.list_join(array, element_text, "{", ",", "}", null=None)

    def literals_plain(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        """A value's text before COPY escaping (the array builder quotes and escapes it itself)."""
        if column.kind in ("string", "text", "enum", "set", "json", "other", "uuid"):
            return render.as_text(array)
        text = self.literals(column, array, table)
        return pc.if_else(pc.is_valid(array), text, pa.scalar(None, render.TEXT))

