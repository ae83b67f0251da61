"""SQLite: one transaction, foreign keys on, cycles declared ``DEFERRABLE INITIALLY DEFERRED``.

SQLite cannot add a foreign key to an existing table, so the FKs of a cycle are declared in
CREATE TABLE and checked at COMMIT instead of after the data.
"""

from __future__ import annotations

import pyarrow as pa

from anonymiser.write.sql import render
from anonymiser.write.sql.core import ColumnPlan, MaxChars, decimal_precision, quote_with
from anonymiser.write.sql.insert import InsertDialect

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

    def column_type(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> str:
        kind, info = column.kind, column.type_info
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
