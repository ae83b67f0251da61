"""Dialects that load data as batched multi-row ``INSERT … VALUES`` (MySQL/MariaDB, SQLite)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import OutputError
from anonymiser.write.sql import render
from anonymiser.write.sql.core import ColumnPlan, Dialect, Rendered, TablePlan, group_bounds, sql_string

# The mariadb and sqlite3 clients read scripts line by line and drop a carriage return at a line
# end, so a value holding one (or a NUL) is written as hex bytes instead of a quoted literal.
_NEEDS_HEX = "[\r\x00]"


class InsertDialect(Dialect):
    true: str = "TRUE"
    false: str = "FALSE"
    infinity: str | None = None     # None: the dialect has no infinite floats
    nan_allowed = False

    def text_from_hex(self, hex_digits: pa.Array) -> pa.Array:
        raise NotImplementedError

    def binary_literal(self, hex_digits: pa.Array) -> pa.Array:
        return render.concat("X'", hex_digits, "'")

    def string_literal(self, text: pa.Array) -> pa.Array:
        quoted = sql_string(text)
        needs_hex = pc.fill_null(pc.match_substring_regex(text, _NEEDS_HEX), False)
        if not pc.any(needs_hex).as_py():
            return quoted
        hexed = self.text_from_hex(render.hex_text(pc.cast(text, pa.large_binary())))
        return render.choose(needs_hex, hexed, quoted)

    def check_floats(self, column: ColumnPlan, array: pa.Array, table: str) -> None:
        if (not self.nan_allowed and render.has_nan(array)) or (self.infinity is None
                                                                 and render.has_infinity(array)):
            allowed = "NaN or infinite" if self.infinity is None else "NaN"
            raise OutputError(
                f"the column holds {allowed} floats, which {self.name} cannot store",
                table=table, column=column.info.name,
                hint="Write a PostgreSQL dump (it keeps them), or mask the column (e.g. 'null' or 'noise').",
            )

    def check_special_numerics(self, column: ColumnPlan, array: pa.Array, table: str) -> None:
        """PostgreSQL numeric without precision may hold NaN and ±Infinity: a DECIMAL column cannot."""
        if not column.sql_type.upper().startswith(("DECIMAL", "NUMERIC")):
            return   # kept as exact text (SQLite TEXT)
        special = pc.match_substring_regex(render.as_text(array), r"^[+-]?(nan|inf|infinity)$", ignore_case=True)
        if pc.any(pc.fill_null(special, False)).as_py():
            raise OutputError(
                f"the column holds NaN or infinite numerics, which {self.name} cannot store in {column.sql_type}",
                table=table, column=column.info.name,
                hint="Write a PostgreSQL or SQLite dump (they keep them), or mask the column (e.g. 'null').",
            )

    def literals(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        kind, array = column.kind, render.plain(array)
        if kind == "array":   # no array type here: a JSON array (docs/types.md)
            return pc.fill_null(self.string_literal(render.json_array_text(array)), self.null)
        if kind == "decimal" and not pa.types.is_decimal(array.type):
            self.check_special_numerics(column, array, table)
            return pc.fill_null(sql_string(render.as_text(array)), self.null)   # exact decimal text
        if kind == "interval" and column.native:
            return pc.fill_null(sql_string(render.duration_clock_text(array)), self.null)   # MySQL TIME
        if kind == "integer":
            text = array.cast(render.TEXT)
        elif kind == "float":
            self.check_floats(column, array, table)
            text = render.float_text(array, infinity=self.infinity or "inf", nan=None)
        elif kind == "decimal":
            # Quoted: an unquoted decimal literal is read as a double by SQLite before it is stored.
            text = sql_string(render.decimal_text(array))
        elif kind == "boolean":
            text = render.choose(array, self.true, self.false).cast(render.TEXT)
        elif kind == "date":
            text = sql_string(render.date_text(array))
        elif kind == "datetime":
            text = sql_string(render.datetime_text(array))
        elif kind == "time":
            text = sql_string(render.time_text(array))
        elif kind == "interval":
            text = render.duration_microseconds(array).cast(render.TEXT)
        elif kind == "binary":
            text = self.binary_literal(render.hex_text(array))
        elif kind == "uuid":
            text = sql_string(render.uuid_text(array))
        else:
            text = self.string_literal(render.as_text(array))
        return pc.fill_null(text, self.null)

    def insert_prefix(self, plan: TablePlan) -> str:
        return f"INSERT INTO {self.quote(plan.name)} ({self.column_list(plan)}) VALUES\n"

    def render_batch(self, plan: TablePlan, batch: pa.RecordBatch) -> Rendered:
        rows = render.concat("(", render.join_rows(self.row_texts(plan, batch), ","), ")")
        bounds = group_bounds(rows)
        starts = np.zeros(len(rows), dtype=bool)
        ends = np.zeros(len(rows), dtype=bool)
        starts[bounds[:-1]] = True
        ends[bounds[1:] - 1] = True
        rows = render.choose(pa.array(starts), render.concat(self.insert_prefix(plan), rows), rows)
        rows = render.concat(rows, render.choose(pa.array(ends), ";\n", ",\n"))
        return Rendered(rows=rows, bounds=bounds)
