"""SQLite: one transaction, foreign keys on, cycles declared ``DEFERRABLE INITIALLY DEFERRED``.

SQLite cannot add a foreign key to an existing table, so the FKs of a cycle are declared in
CREATE TABLE and checked at COMMIT instead of after the data.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.schema import ColumnInfo
from anonymiser.write.sql import render
from anonymiser.write.sql.core import (
    ColumnPlan,
    MaxChars,
    TablePlan,
    decimal_precision,
    integer_precision,
    member_checks,
    quote_with,
    sql_string,
)
from anonymiser.write.sql.insert import InsertDialect

_KEYWORD_TEXT = """ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN
BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE
CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END
ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP
GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY
LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER
OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME
REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION
TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())
# SQLite keeps 15 significant digits in a NUMERIC column (it stores a REAL); wider decimals are
# stored as TEXT so that no digit is lost.
EXACT_DIGITS = 15


class SQLite(InsertDialect):
    name = "sqlite"
    true = "1"
    false = "0"
    infinity = "9e999"      # SQLite reads an overflowing literal as Inf; NaN would become NULL
    inline_deferred = True

    def quote(self, identifier: str) -> str:
        return quote_with(identifier, '"')

    def text_from_hex(self, hex_digits: pa.Array) -> pa.Array:
        return render.concat("CAST(X'", hex_digits, "' AS TEXT)")

    def client_lines(self) -> list[str]:
        return [".bail on\n"]

    def session(self) -> list[str]:
        return ["PRAGMA foreign_keys = ON;\n"]

    def deferred_suffix(self) -> str:
        return " DEFERRABLE INITIALLY DEFERRED"

    def create_statements(self, plan: TablePlan) -> list[str]:
        # Unique indexes before the rows (a foreign key may reference one); the others after them.
        return super().create_statements(plan) + [i.definition + ";\n" for i in plan.indexes if i.unique]

    def after_data(self, plan: TablePlan) -> list[str]:
        return super().after_data(plan) + [i.definition + ";\n" for i in plan.indexes if not i.unique]

    def literals(self, column: ColumnPlan, array: pa.Array, table: str) -> pa.Array:
        if column.kind == "integer" and column.sql_type == "TEXT":
            return pc.fill_null(sql_string(render.plain(array).cast(render.TEXT)), self.null)
        text = super().literals(column, array, table)
        if column.native and column.kind in ("datetime", "time"):
            # SQLite keeps dates as text: a source written without fractions gets none back.
            text = pc.replace_substring_regex(text, r"\.000000'$", "'")
        return text

    def collate_clause(self, info: ColumnInfo) -> str:
        return f" COLLATE {info.collation}" if re.fullmatch(r"\w+", info.collation or "") else \
            f" COLLATE {self.quote(info.collation or '')}"

    def column_definition(self, column: ColumnPlan, plan: TablePlan) -> str:
        text = super().column_definition(column, plan)
        if _autoincrement(plan) == column.info.name:   # only inline: INTEGER PRIMARY KEY AUTOINCREMENT
            text += " PRIMARY KEY AUTOINCREMENT"
        return text

    def primary_key_clause(self, plan: TablePlan) -> str | None:
        return None if _autoincrement(plan) else super().primary_key_clause(plan)

    def table_suffix(self, plan: TablePlan) -> str:
        return " WITHOUT ROWID" if plan.native and plan.table.without_rowid else ""

    def check_clauses(self, plan: TablePlan) -> list[str]:
        return super().check_clauses(plan) + member_checks(self, plan)


    def column_type(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> str:
        kind, info = column.kind, column.type_info
        if column.native and info.native_type is not None:
            # The declared type, any spelling (affinity follows from it); a keyword such as SET is quoted.
            declared = info.native_type
            return self.quote(declared) if declared.upper() in _KEYWORDS else declared
        if kind == "integer" and integer_precision(column) == (64, True) and not column.info.autoincrement:
            return "TEXT"   # above 2^63-1 SQLite would store a rounded REAL: the exact digits as text (warned)
        if kind == "decimal":
            precision, scale = decimal_precision(column)
            return f"NUMERIC({precision}, {scale})" if precision and precision <= EXACT_DIGITS else "TEXT"
        if kind == "string":
            return f"VARCHAR({info.length})" if info.length else "TEXT"
        # JSON as TEXT: a column named JSON has NUMERIC affinity, which would turn '1.50' into 1.5.
        simple = {"integer": "INTEGER", "float": "REAL", "boolean": "BOOLEAN", "date": "DATE",
                  "datetime": "DATETIME", "time": "TIME", "interval": "INTEGER", "binary": "BLOB",
                  "uuid": "CHAR(36)"}
        return simple.get(kind, "TEXT")


def _autoincrement(plan: TablePlan) -> str | None:
    pk = plan.table.primary_key
    if not plan.native or len(pk) != 1:
        return None
    column = next((c for c in plan.columns if c.info.name == pk[0]), None)
    return pk[0] if column is not None and column.native and column.info.autoincrement else None

