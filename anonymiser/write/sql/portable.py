"""What carries over between engines: literal defaults, and the warnings for what does not (docs/types.md)."""

from __future__ import annotations

import re

from anonymiser.schema import ColumnKind
from anonymiser.source.catalog import is_spatial
from anonymiser.write.sql.plans import TablePlan

CURRENT_TIMESTAMP = "CURRENT_TIMESTAMP"   # the dialect spells it for the column (MySQL: with its precision)
# The current time, as each engine spells it (PostgreSQL now(), MariaDB current_timestamp(), SQLite
# CURRENT_TIMESTAMP), optionally cast, optionally with MySQL's ON UPDATE (which is not carried over).
_NOW_DEFAULT = re.compile(r"^\(?\s*(?:now|current_timestamp|localtimestamp|transaction_timestamp|statement_timestamp)"
                          r"\s*(?:\(\s*\d*\s*\))?\s*\)?(?:::[\w .\"]+)?(\s+on update .+)?$", re.I)
_LITERAL_DEFAULT = re.compile(r"^\(?(-?\d+(?:\.\d+)?|'(?:[^']|'')*'|true|false|TRUE|FALSE)\)?(?:::[\w .\"]+)?$")


def portable_default(default: str | None, kind: ColumnKind) -> str | None:
    """A default that means the same on every engine: a number for a number, a string literal for text,
    dates and enums, true/false for a boolean (a PostgreSQL cast dropped), and the current time for a
    timestamp (``CURRENT_TIMESTAMP``, which the dialect spells)."""
    if default is not None and kind == "datetime" and _NOW_DEFAULT.match(default.strip()):
        return CURRENT_TIMESTAMP
    match = _LITERAL_DEFAULT.match(default.strip()) if default is not None else None
    if match is None:
        return None
    value = match.group(1)
    if kind in ("integer", "float", "decimal"):
        return value if value[0] in "-0123456789" else None
    if kind == "boolean":
        return value.upper() if value.lower() in ("true", "false") else None
    return value if value.startswith("'") and kind in ("string", "text", "enum", "set", "date", "datetime",
                                                       "time", "uuid") else None


# Kinds whose source type has no equivalent on another engine (docs/types.md, "Across engines").
_NEAREST = {
    "array": "an array: written as a JSON array", "set": "a SET: written as text in MySQL's comma form",
    "other": "written as the source's own text form",
}


def mapping_warnings(plan: TablePlan, source: str, target: str) -> list[str]:
    """Every place a cross-engine copy is not the source's type, by table.column (docs/types.md)."""
    out = []
    for column in plan.columns:
        info, where = column.info, f"{plan.name}.{column.info.name}"
        source_type = info.native_type or info.sql_type
        reason = _NEAREST.get(column.kind)
        if column.kind == "array" and target == "postgresql":
            reason = None
        if column.kind == "binary" and is_spatial(info):
            reason = "a spatial column: MySQL's stored bytes (a 4-byte SRID, then WKB), not a geometry"
        if column.kind == "set" and target == "mysql":
            reason = None
        if column.kind == "integer" and info.unsigned and column.type_info.bits == 64 and column.sql_type == "bigint":
            reason = "an unsigned 64-bit id: bigint, so it stays an identity; ids above 2^63-1 are refused"
        if column.kind == "integer" and column.sql_type == "TEXT":
            reason = "an unsigned 64-bit integer: TEXT holding the exact digits (SQLite's INTEGER stops at 2^63-1)"
        if column.kind == "decimal" and column.sql_type.startswith("DECIMAL(65, 30)"):
            reason = "a decimal without precision: DECIMAL(65, 30), digits beyond that are refused"
        if info.user_type and column.kind not in ("enum",):
            reason = reason or f"type {info.user_type}: its base type, without the type's own constraints"
        if reason:
            out.append(f"{where}: {source} {source_type} → {target} {column.sql_type}: {reason}")
        if info.default is not None and portable_default(info.default, column.kind) is None and not info.identity \
                and not info.autoincrement:
            out.append(f"{where}: default {info.default} is {source}'s SQL and is not carried over")
        elif info.default is not None and (now := _NOW_DEFAULT.match(info.default.strip())) and now.group(1):
            out.append(f"{where}: {now.group(1).strip()} is {source}'s and is not carried over (the default is)")
        if info.collation:
            out.append(f"{where}: collation {info.collation} has no {target} equivalent; the target's default "
                       "applies")
    if plan.table.checks:
        out.append(f"{plan.name}: {len(plan.table.checks)} CHECK constraint(s) are written in {source}'s SQL and "
                   "are not carried over")
    if plan.table.partitioning:
        out.append(f"{plan.name}: partitioning is not carried over: one plain table holds every row")
    return out
