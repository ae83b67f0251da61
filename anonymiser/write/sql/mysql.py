"""MySQL and MariaDB: ANSI-free quoting, no backslash escapes, binary collation, batched INSERTs.

DDL commits implicitly in MySQL, so the tables are created first, the rows load in one
transaction, and the deferred foreign keys are added (and checked) afterwards.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pyarrow as pa

from anonymiser.errors import OutputError
from anonymiser.schema import ColumnInfo
from anonymiser.write.sql import render
from anonymiser.write.sql.core import (
    ColumnPlan,
    MaxChars,
    TablePlan,
    decimal_precision,
    integer_precision,
    quote_with,
)
from anonymiser.write.sql.insert import InsertDialect

_INTEGER_TYPES = {8: "TINYINT", 16: "SMALLINT", 32: "INT", 64: "BIGINT"}
KEY_CHARS = 768          # utf8mb4 index limit: 3072 bytes / 4
ROW_BYTES = 60_000       # below InnoDB's 65,535-byte row limit, which counts VARCHAR at full width
INLINE_CHARS = 4_000     # longer unindexed strings go to LONGTEXT
# Strict: a value that does not fit fails the load instead of being silently truncated. No backslash
# escapes: quotes are the only thing doubled inside literals. NO_AUTO_VALUE_ON_ZERO keeps a key 0.
SQL_MODE = ("NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,"
            "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO")


class MySQL(InsertDialect):
    name = "mysql"
    transactional_ddl = False
    deferrable_fks = False
    set_default_fks = False
    set_null_on_not_null = False

    def quote(self, identifier: str) -> str:
        return quote_with(identifier, "`")

    def text_from_hex(self, hex_digits: pa.Array) -> pa.Array:
        return render.concat("_utf8mb4 X'", hex_digits, "'")

    def session(self) -> list[str]:
        return ["SET NAMES utf8mb4;\n", f"SET SESSION sql_mode = '{SQL_MODE}';\n",
                "SET SESSION time_zone = '+00:00';\n", "SET SESSION foreign_key_checks = 1;\n",
                "SET SESSION unique_checks = 1;\n"]

    def index_clauses(self, plan: TablePlan) -> list[str]:
        return [i.definition for i in plan.indexes]

    def table_options(self) -> str:
        # Binary collation: values compare exactly, as in PostgreSQL, so masked values that differ only
        # in case or accents stay distinct in UNIQUE columns.
        return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

    def _key_length(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> int:
        declared = column.type_info.length
        if declared and declared <= KEY_CHARS:
            return declared
        longest = max(max_chars(column.type_table, column.type_info.name), 1)
        if longest > KEY_CHARS:
            raise OutputError(
                f"a key value is {longest} characters long; MySQL indexes at most {KEY_CHARS}",
                table=table, column=column.info.name,
                hint="Write a PostgreSQL or SQLite dump, or mask the column to shorter values.",
            )
        return longest

    def column_type(self, column: ColumnPlan, max_chars: MaxChars, table: str) -> str:
        kind, info = column.kind, column.type_info
        if column.native and info.native_type:
            return info.native_type
        if kind in ("enum", "set") and info.members:
            members = ",".join("'" + m.replace("'", "''") + "'" for m in info.members)
            return f"{kind.upper()}({members})"
        if kind == "array":
            return "JSON"
        if kind == "interval" and column.type_info.native_type == "time":
            return "TIME(6)"
        if kind == "integer":
            bits, unsigned = integer_precision(column)
            return _INTEGER_TYPES.get(bits, "BIGINT") + (" UNSIGNED" if unsigned else "")
        if kind == "decimal":
            precision, scale = decimal_precision(column)
            if precision is None:   # no declared precision (PostgreSQL numeric): the widest MySQL has
                return "DECIMAL(65, 30)"
            scale = min(scale or 0, 30)
            return f"DECIMAL({min(precision or 65, 65)}, {scale})"
        if kind in ("string", "text", "json", "other", "enum", "set"):
            if column.key:
                return f"VARCHAR({self._key_length(column, max_chars, table)})"
            if kind == "string" and info.length and info.length <= INLINE_CHARS:
                return f"VARCHAR({info.length})"
            return "JSON" if kind == "json" else "LONGTEXT"
        if kind == "binary":
            if column.key or (info.length and info.length <= 255):
                length = info.length if info.length and info.length <= 3072 else \
                    max(max_chars(column.type_table, column.type_info.name), 1)
                return f"VARBINARY({length})"
            return "LONGBLOB"
        simple = {"float": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "datetime": "DATETIME(6)",
                  "time": "TIME(6)", "interval": "BIGINT", "uuid": "CHAR(36)"}
        return simple[kind]

    def assign_types(self, plans: list[TablePlan], max_chars: MaxChars) -> None:
        super().assign_types(plans, max_chars)
        for plan in plans:
            columns = plan.columns
            # Widest unindexed VARCHARs become LONGTEXT until the row fits InnoDB's limit.
            while sum(_row_bytes(c.sql_type) for c in columns) > ROW_BYTES:
                wide = [c for c in columns if not c.key and c.sql_type.startswith("VARCHAR")]
                if not wide:
                    break
                widest = max(wide, key=lambda c: _row_bytes(c.sql_type))
                columns = [replace(c, sql_type="LONGTEXT") if c is widest else c for c in columns]
            plan.columns = columns

    def column_definition(self, column: ColumnPlan, plan: TablePlan) -> str:
        text = super().column_definition(column, plan)
        return text + " AUTO_INCREMENT" if column.info.name == plan.identity else text

    def current_timestamp(self, column: ColumnPlan) -> str:
        """MySQL wants the default's precision to be the column's: DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6)."""
        precision = re.search(r"\((\d+)\)", column.sql_type)
        return f"CURRENT_TIMESTAMP({precision.group(1)})" if precision else "CURRENT_TIMESTAMP"

    def collate_clause(self, info: ColumnInfo) -> str:
        charset = f" CHARACTER SET {info.charset}" if info.charset else ""
        return f"{charset} COLLATE {info.collation}"

    def table_suffix(self, plan: TablePlan) -> str:
        options = plan.table.options
        if not plan.native or not options:
            return self.table_options()
        return "".join(f" {key}={value}" for key, value in options.items())

    def check_clauses(self, plan: TablePlan) -> list[str]:
        return super().check_clauses(plan)


def _row_bytes(sql_type: str) -> int:
    if sql_type.startswith(("VARCHAR(", "VARBINARY(")):
        length = int(sql_type.split("(")[1].rstrip(")"))
        return length * (4 if sql_type.startswith("VARCHAR") else 1) + 2
    return 16
