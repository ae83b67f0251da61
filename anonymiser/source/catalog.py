"""DDL facts from each engine's own catalogue: exact type spellings, defaults, collations, generated
columns, user types, sequences, partitions, views — what a same-engine dump needs to rebuild the source.

The portable facts (columns, keys) come from SQLAlchemy's inspector in ``introspect``; this module adds
what it does not give, per dialect, and never reads a row of data except SQLite's storage classes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from anonymiser.errors import ConfigError
from anonymiser.schema import (
    CheckConstraint,
    ColumnInfo,
    IndexInfo,
    Partitioning,
    SchemaInfo,
    SequenceInfo,
    TableInfo,
    UserType,
    ViewInfo,
)
from anonymiser.source import sqlite_catalog

if TYPE_CHECKING:
    import sqlalchemy as sa


def partition_names(conn: sa.Connection, schema_name: str | None) -> set[str]:
    """PostgreSQL partitions: their rows are read through the partitioned table, so they are not tables here."""
    if conn.dialect.name != "postgresql":
        return set()
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    rows = conn.execute(sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relispartition AND n.nspname = coalesce(:schema, current_schema())"), {"schema": schema_name})
    return {r[0] for r in rows}


_SPATIAL = re.compile(r"^(geometry|geography|point|linestring|polygon|multipoint|multilinestring|multipolygon|"
                      r"geometrycollection)\b", re.I)


def is_spatial(column: ColumnInfo) -> bool:
    """A geometry or geography column (PostGIS, MySQL/MariaDB GEOMETRY, POINT …, PostgreSQL point)."""
    return bool(column.native_type and _SPATIAL.match(column.native_type))


def refuse_spatial(schema: SchemaInfo) -> None:
    """Spatial columns read as text (PostGIS geometry and geography) are not supported: refused before any
    data is read. MySQL/MariaDB spatial columns are read as their own bytes (kind ``binary``: keep, null, or
    redact to a placeholder geometry) and PostgreSQL's built-in point as its text form."""
    found = [f"{t.name}.{c.name} ({c.native_type})" for t in schema.tables.values() for c in t.columns
             if is_spatial(c) and c.kind != "binary"
             and not (schema.dialect == "postgresql" and (c.native_type or "").lower() == "point")]
    if found:
        raise ConfigError(
            f"spatial column(s) of this engine are not supported: {', '.join(found)}",
            hint="Exclude their tables in the policy (tables: NAME: {exclude: true}); spatial data is "
                 "location data, so a masked copy should not carry it as it is. (MySQL and MariaDB spatial "
                 "columns are supported: null, redact to a placeholder geometry, or keep.)",
        )


def read_as_text_notes(schema: SchemaInfo) -> list[str]:
    """table.column: why its values are read as text (SQLite values that do not fit the declared type)."""
    return [f"{t.name}.{c.name}: {c.read_as_text}" for t in schema.tables.values() for c in t.columns
            if c.read_as_text]


def enrich(conn: sa.Connection, schema: SchemaInfo) -> SchemaInfo:
    name = conn.dialect.name
    if name == "postgresql":
        return _postgres(conn, schema)
    if name in ("mysql", "mariadb"):
        return _mysql(conn, schema)
    if name == "sqlite":
        return sqlite_catalog.enrich(conn, schema)
    return schema


def _update_columns(table: TableInfo, facts: dict[str, dict[str, Any]]) -> TableInfo:
    columns = tuple(c.model_copy(update=facts.get(c.name, {})) for c in table.columns)
    return table.model_copy(update={"columns": columns})


# ---------------------------------------------------------------- PostgreSQL

_PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attndims,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END,
       pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity, t.typtype,
       CASE WHEN t.typtype IN ('e', 'd', 'c', 'r') AND t.typnamespace = n.oid THEN t.typname END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""
_PG_CHECKS = """
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND k.contype = 'c' AND c.relkind IN ('r', 'p')
ORDER BY c.relname, k.conname
"""
# Indexes that back no PRIMARY KEY, UNIQUE or EXCLUDE constraint, with the columns they read (pg_depend
# records each column of an index, expressions and WHERE clauses included).
_PG_INDEXES = """
SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid), quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       ARRAY(SELECT a.attname FROM pg_depend d
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid AND d.refclassid = 'pg_class'::regclass
               AND d.refobjsubid > 0 ORDER BY a.attnum),
       ARRAY(SELECT DISTINCT p.proname FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid AND d.refclassid = 'pg_proc'::regclass
               AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
               AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                               AND e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e'))
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid
                  AND k.contype IN ('p', 'u', 'x'))
ORDER BY 1, 2
"""
_PG_UNIQUE_NAMES = """
SELECT c.relname, k.conname,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(num, pos)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.pos)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND k.contype = 'u' AND c.relkind IN ('r', 'p')
UNION ALL
SELECT c.relname, i.relname,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(num, pos)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.num ORDER BY u.pos)
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)
ORDER BY 1, 2
"""
_PG_PARTITIONS = """
SELECT p.relname, pg_get_partkeydef(p.oid), c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_partitioned_table pt JOIN pg_class p ON p.oid = pt.partrelid
JOIN pg_namespace n ON n.oid = p.relnamespace
LEFT JOIN pg_inherits i ON i.inhparent = p.oid LEFT JOIN pg_class c ON c.oid = i.inhrelid
WHERE n.nspname = current_schema() ORDER BY p.relname, c.relname
"""
# Table inheritance (INHERITS, not partitioning): the child's rows are also in a SELECT on the parent.
_PG_INHERITS = """
SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND p.relkind = 'r' AND NOT c.relispartition ORDER BY c.relname, i.inhseqno
"""
_PG_TYPES = """
SELECT t.typname, t.typtype,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
       CASE t.typtype WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                      WHEN 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
       END,
       t.typnotnull, t.typdefault,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN (SELECT collname FROM pg_collation WHERE oid = t.typcollation) END,
       (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT array_agg(k.conname || ' ' || pg_get_constraintdef(k.oid) ORDER BY k.conname)
          FROM pg_constraint k WHERE k.contypid = t.oid)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_class tc ON tc.oid = t.typrelid
WHERE n.nspname = current_schema() AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND tc.relkind = 'c'))
ORDER BY t.typname
"""
_PG_SEQUENCES = """
SELECT s.relname, t.relname, a.attname, format_type(q.seqtypid, NULL)
FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_sequence q ON q.seqrelid = s.oid
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND n.nspname = current_schema() ORDER BY s.relname
"""
# The next value the sequence of a table's single-column key would give (serial or identity; F35): NULL
# last_value (never used, or no privilege to read it) gives no counter. Descending sequences are left out.
_PG_COUNTERS = """
SELECT c.relname, CASE WHEN s.last_value IS NULL THEN NULL ELSE s.last_value + s.increment_by END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' AND cardinality(k.conkey) = 1
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
JOIN pg_sequences s ON format('%I.%I', s.schemaname, s.sequencename)::regclass
     = pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)::regclass
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND s.increment_by > 0
"""
_PG_VIEWS = """
SELECT c.relname, pg_get_viewdef(c.oid, true), c.relkind = 'm'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm') ORDER BY c.oid
"""
# Built-in text-search triggers compute a tsvector column from other columns on every insert: the column is
# recomputed by the target (the trigger is recreated), never copied. Other triggers call the source's own
# functions, which no dump carries.
_PG_COMPUTING_TRIGGERS = """
SELECT c.relname, pg_get_triggerdef(t.oid), quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       t.tgargs
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND p.pronamespace = 'pg_catalog'::regnamespace
  AND p.proname IN ('tsvector_update_trigger', 'tsvector_update_trigger_column')
ORDER BY c.relname, t.tgname
"""
# What each view selects from and which of the source's own functions it calls (pg_depend of its rule).
_PG_VIEW_READS = """
SELECT DISTINCT v.relname,
       CASE WHEN rn.oid = n.oid THEN r.relname ELSE rn.nspname || '.' || r.relname END
FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace
JOIN pg_rewrite w ON w.ev_class = v.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_class'::regclass
JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE n.nspname = current_schema() AND v.relkind IN ('v', 'm') AND r.oid <> v.oid
  AND r.relkind IN ('r', 'p', 'v', 'm', 'f')
"""
_PG_VIEW_CALLS = """
SELECT DISTINCT v.relname, p.proname
FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace
JOIN pg_rewrite w ON w.ev_class = v.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_proc'::regclass
JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE n.nspname = current_schema() AND v.relkind IN ('v', 'm')
  AND pn.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid
                  AND x.refclassid = 'pg_extension'::regclass AND x.deptype = 'e')
"""
# Extensions (citext, hstore, uuid-ossp …) whose types the columns use (directly, as array elements or under a
# domain) or whose functions a default or a view calls: the dump creates them first.
_PG_EXTENSIONS = """
WITH used_types AS (
    SELECT a.atttypid AS oid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
), all_types AS (
    SELECT oid FROM used_types
    UNION SELECT t.typelem FROM pg_type t JOIN used_types u ON u.oid = t.oid WHERE t.typelem <> 0
    UNION SELECT t.typbasetype FROM pg_type t JOIN used_types u ON u.oid = t.oid WHERE t.typbasetype <> 0
), used_functions AS (
    SELECT d.refobjid AS oid FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
    JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_proc'::regclass AND n.nspname = current_schema()
    UNION
    SELECT d.refobjid FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class
    JOIN pg_namespace n ON n.oid = v.relnamespace
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass AND n.nspname = current_schema()
    UNION
    SELECT d.refobjid FROM pg_depend d JOIN pg_class i ON i.oid = d.objid JOIN pg_namespace n ON n.oid = i.relnamespace
    WHERE d.classid = 'pg_class'::regclass AND i.relkind IN ('i', 'I') AND d.refclassid = 'pg_proc'::regclass
      AND n.nspname = current_schema()
), used_opclasses AS (   -- an index's operator classes (gin_trgm_ops, btree_gist's …)
    SELECT unnest(x.indclass::oid[]) AS oid FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()
)
SELECT DISTINCT e.extname FROM pg_extension e
JOIN pg_depend x ON x.refclassid = 'pg_extension'::regclass AND x.refobjid = e.oid AND x.deptype = 'e'
WHERE (x.classid = 'pg_type'::regclass AND x.objid IN (SELECT oid FROM all_types))
   OR (x.classid = 'pg_proc'::regclass AND x.objid IN (SELECT oid FROM used_functions))
   OR (x.classid = 'pg_opclass'::regclass AND x.objid IN (SELECT oid FROM used_opclasses))
ORDER BY 1
"""
_ORDER = {"e": 0, "r": 1, "d": 2, "c": 3}
_USER_KIND: dict[str, Literal["enum", "domain", "composite", "range"]] = {
    "e": "enum", "d": "domain", "c": "composite", "r": "range"}


def _postgres(conn: sa.Connection, schema: SchemaInfo) -> SchemaInfo:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    def query(sql: str) -> list[Any]:
        return list(conn.execute(sa.text(sql)))

    # format_type, pg_get_expr and pg_get_viewdef qualify names outside the search path: with the source
    # schema first in it (for this transaction only), they print names the target schema resolves.
    saved = conn.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
    target = schema.schema_name or conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    conn.execute(sa.text("SELECT set_config('search_path', :path, true)"),
                 {"path": _pg_ident(target) + ", pg_catalog"})
    try:
        columns, checks = query(_PG_COLUMNS), query(_PG_CHECKS)
        partitions, types = query(_PG_PARTITIONS), query(_PG_TYPES)
        sequences, views = query(_PG_SEQUENCES), query(_PG_VIEWS)
        counters = {table: int(after) for table, after in query(_PG_COUNTERS) if after is not None}
        triggers, view_reads, view_calls = query(_PG_COMPUTING_TRIGGERS), query(_PG_VIEW_READS), query(_PG_VIEW_CALLS)
        extensions = [name for (name,) in query(_PG_EXTENSIONS)]
        inherits = query(_PG_INHERITS)
        indexes, unique_names = query(_PG_INDEXES), query(_PG_UNIQUE_NAMES)
    finally:
        conn.execute(sa.text("SELECT set_config('search_path', :path, true)"), {"path": saved})

    facts: dict[str, dict[str, dict[str, Any]]] = {}
    for table, column, native, dims, collation, default, generated, identity, _typtype, user_type in columns:
        entry: dict[str, Any] = {"native_type": native, "collation": collation}
        if generated == "s":
            entry.update(generated=default, generated_stored=True, default=None)
        elif not identity:
            entry["default"] = default
        if dims:
            entry["dimensions"] = int(dims)
        if user_type:
            entry["user_type"] = user_type
        if native == "real" or native == "real[]":
            entry["bits"] = 32
        facts.setdefault(table, {})[column] = entry
    for table, definition, qualified, arguments in triggers:
        column = bytes(arguments).split(b"\x00", 1)[0].decode("utf-8")
        if column in facts.get(table, {}):
            statement = definition.replace(f" ON {qualified} ", f" ON {_pg_ident(table)} ", 1)
            facts[table][column]["computed_by"] = statement + ";"
    table_checks: dict[str, list[CheckConstraint]] = {}
    for table, name, definition in checks:
        table_checks.setdefault(table, []).append(CheckConstraint(name=name, expression=_strip_check(definition)))
    parts: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for parent, key, child, bound in partitions:
        entry_p = parts.setdefault(parent, (key, []))
        if child:
            entry_p[1].append((child, bound))

    tables = {}
    for name, table in schema.tables.items():
        table = _update_columns(table, facts.get(name, {}))
        update: dict[str, Any] = {"checks": tuple(table_checks.get(name, ())),
                                  "inherits": tuple(parent for child, parent in inherits if child == name),
                                  "indexes": tuple(_pg_index(table, *rest) for table, *rest in indexes
                                                   if table == name),
                                  "unique_names": _unique_names(table, [(n, tuple(cols)) for t, n, cols in unique_names
                                                                        if t == name])}
        if name in parts:
            key, children = parts[name]
            update["partitioning"] = Partitioning(key=key, partitions=tuple(children))
        tables[name] = table.model_copy(update=update)
    user_types = tuple(_pg_user_type(row) for row in sorted(types, key=lambda r: (_ORDER[r[1]], r[0])))
    return schema.model_copy(update={
        "tables": tables, "types": user_types, "extensions": tuple(extensions),
        "sequences": tuple(SequenceInfo(name=s, table=t, column=c, data_type=d) for s, t, c, d in sequences
                           if t in tables),
        "counters": {t: n for t, n in counters.items() if t in tables},
        "views": tuple(ViewInfo(name=n, definition=d.strip().rstrip(";"),
                                reads=tuple(sorted(r for v, r in view_reads if v == n)),
                                calls=tuple(sorted(f for v, f in view_calls if v == n)), materialized=m)
                       for n, d, m in views),
    })


def _pg_index(table: str, name: str, definition: str, qualified: str, columns: list[str],
              calls: list[str]) -> IndexInfo:
    """The index's CREATE statement on the copy's table (unqualified, and on a partitioned table for every
    partition: ``ON ONLY`` would leave the partitions without it)."""
    for spelling in (f" ON ONLY {qualified} ", f" ON {qualified} "):
        definition = definition.replace(spelling, f" ON {_pg_ident(table)} ", 1)
    return IndexInfo(name=name, definition=definition, columns=tuple(columns), calls=tuple(calls))


def _unique_names(table: TableInfo, named: list[tuple[str, tuple[str, ...]]]) -> tuple[str | None, ...]:
    """The source's name of each of ``table.unique`` (by its columns), None where the catalogue has none."""
    by_columns: dict[tuple[str, ...], str] = {}
    for name, columns in named:
        by_columns.setdefault(columns, name)
    return tuple(by_columns.get(columns) for columns in table.unique)


def _pg_user_type(row: Any) -> UserType:
    name, typtype, labels, base, notnull, default, collation, attributes, constraints = row
    checks = tuple(CheckConstraint(name=c.split(" ", 1)[0], expression=_strip_check(c.split(" ", 1)[1]))
                   for c in constraints or ())
    return UserType(
        name=name, kind=_USER_KIND[typtype], labels=tuple(labels or ()), base_type=base,
        attributes=tuple((a.split(" ", 1)[0], a.split(" ", 1)[1]) for a in attributes or ()),
        nullable=not notnull, default=default, collation=collation, checks=checks,
    )


def _strip_check(definition: str) -> str:
    """``CHECK ((a > 0))`` → ``(a > 0)``; ``NOT VALID`` dropped (the rebuilt copy's data is checked)."""
    text = definition.strip()
    text = re.sub(r"\s+NOT VALID$", "", text)
    return text[len("CHECK "):].strip() if text.upper().startswith("CHECK ") else text


def _pg_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- MySQL / MariaDB

_MY_COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA,
       GENERATION_EXPRESSION, IS_NULLABLE
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
"""
_MY_TABLES = """
SELECT t.TABLE_NAME, t.ENGINE, t.TABLE_COLLATION, c.CHARACTER_SET_NAME
FROM information_schema.TABLES t
LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
"""
_MY_CHECKS = """
SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME
"""


def _my_quote(identifier: str) -> str:
    """A MySQL/MariaDB identifier in backquotes."""
    return "`" + identifier.replace("`", "``") + "`"


def _with_recovered_labels(conn: sa.Connection, table: TableInfo) -> TableInfo:
    """ENUM and SET labels the catalogue cannot print. MariaDB shows the column definitions in utf8mb3, so a label
    with a character outside it (an emoji) reads '?' there, while the rows hold it whole: written back so, the
    copy would not load. The labels the rows use are read from them (an ENUM value with its position, a SET
    value with its bits). MariaDB refuses two such labels in one column (they compare equal as '?'), so one
    no row uses stays '?', a label the copy's rows never need."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    columns = []
    for column in table.columns:
        if column.kind not in ("enum", "set") or not any("?" in m for m in column.members):
            columns.append(column)
            continue
        found: dict[int, str] = {}
        rows = conn.execute(sa.text(f"SELECT DISTINCT {_my_quote(column.name)} + 0, {_my_quote(column.name)} "
                                    f"FROM {_my_quote(table.name)} WHERE {_my_quote(column.name)} IS NOT NULL"))
        for position, value in rows:
            position = int(position)
            if column.kind == "enum" and position > 0:
                found[position - 1] = value
            elif column.kind == "set" and value:
                bits = [b for b in range(len(column.members)) if position >> b & 1]
                found.update(zip(bits, value.split(","), strict=False))
        members = tuple(found.get(i, m) for i, m in enumerate(column.members))
        listed = ",".join("'" + m.replace("'", "''") + "'" for m in members)
        columns.append(column.model_copy(update={
            "members": members, "native_type": f"{column.kind}({listed})",
            "length": max(len(m) for m in members) if column.kind == "enum" else column.length}))
    return table.model_copy(update={"columns": tuple(columns)})


def _my_view(name: str, definition: str, qualifier: str) -> ViewInfo:
    """MariaDB/MySQL print a view's tables as `db`.`name`, and a call of the database's own function as
    `name`( (built-in functions are not quoted)."""
    reads = {m.replace("``", "`") for m in re.findall(re.escape(qualifier) + r"`((?:[^`]|``)+)`", definition)}
    calls = {m.replace("``", "`") for m in re.findall(r"`((?:[^`]|``)+)`\(", definition)}
    return ViewInfo(name=name, definition=definition.replace(qualifier, ""), reads=tuple(sorted(reads - {name})),
                    calls=tuple(sorted(calls)))


_MY_VIEWS = """
SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME
"""


# Every index but the primary key, column by column (MariaDB and MySQL 5.7 have no functional indexes;
# MySQL 8's EXPRESSION is left out: such an index is not carried).
_MY_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE, COLLATION
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' AND COLUMN_NAME IS NOT NULL
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""


def _my_index(name: str, rows: list[Any]) -> IndexInfo:
    """The KEY clause of CREATE TABLE that rebuilds the index: UNIQUE, FULLTEXT or SPATIAL, prefix lengths,
    descending parts (MySQL 8) and hash indexes (MEMORY) as the source has them."""
    _, _, non_unique, _, _, _, index_type, _ = rows[0]
    kind = {"FULLTEXT": "FULLTEXT ", "SPATIAL": "SPATIAL "}.get(str(index_type).upper(),
                                                               "" if non_unique else "UNIQUE ")
    # MariaDB reports a SUB_PART of 32 for a SPATIAL index, which takes no prefix length: left out.
    prefixed = str(index_type).upper() != "SPATIAL"
    parts = ", ".join(_my_quote(r[4]) + (f"({int(r[5])})" if r[5] and prefixed else "")
                      + (" DESC" if r[7] == "D" else "") for r in rows)
    using = " USING HASH" if str(index_type).upper() == "HASH" else ""
    return IndexInfo(name=name, definition=f"{kind}KEY {_my_quote(name)} ({parts}){using}",
                     columns=tuple(dict.fromkeys(r[4] for r in rows)))


def _mysql(conn: sa.Connection, schema: SchemaInfo) -> SchemaInfo:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    database = conn.execute(sa.text("SELECT DATABASE()")).scalar_one()
    options: dict[str, dict[str, str]] = {}
    for table, engine, collation, charset in conn.execute(sa.text(_MY_TABLES)):
        options[table] = {k: v for k, v in (("ENGINE", engine), ("DEFAULT CHARSET", charset),
                                           ("COLLATE", collation)) if v}
    facts: dict[str, dict[str, dict[str, Any]]] = {}
    for table, column, native, default, charset, collation, extra, expression, _nullable in \
            conn.execute(sa.text(_MY_COLUMNS)):
        extra = (extra or "").strip()
        entry: dict[str, Any] = {"native_type": native,
                                 "unsigned": " unsigned" in native.lower() or native.lower().startswith("bit")}
        table_options = options.get(table, {})
        if collation and collation != table_options.get("COLLATE"):
            entry.update(collation=collation, charset=charset)
        else:
            entry.update(collation=None, charset=None)
        if "GENERATED" in extra.upper():
            entry.update(generated=expression, generated_stored="STORED" in extra.upper(), default=None)
        else:
            # MariaDB spells a NULL default as the word NULL, and an expression default unquoted.
            entry["default"] = None if default is None or default == "NULL" else default
            on_update = re.search(r"on update (.+)$", extra, flags=re.I)
            if on_update:
                entry["default"] = f"{entry['default']} ON UPDATE {on_update.group(1)}" if entry["default"] \
                    else None
        if native.lower().startswith("float"):
            entry["bits"] = 32
        if _SPATIAL.match(native):   # read, masked and written as the engine's own bytes (SRID + WKB)
            entry["kind"] = "binary"
        facts.setdefault(table, {})[column] = entry
    table_checks: dict[str, list[CheckConstraint]] = {}
    for table, name, clause in conn.execute(sa.text(_MY_CHECKS)):
        table_checks.setdefault(table, []).append(CheckConstraint(name=name, expression=clause))
        json_column = re.fullmatch(r"json_valid\(`((?:[^`]|``)+)`\)", clause.strip())
        if json_column and json_column.group(1) in facts.get(table, {}):   # MariaDB's JSON is LONGTEXT + this
            facts[table][json_column.group(1)]["kind"] = "json"
    keys: dict[str, dict[str, list[Any]]] = {}
    for row in conn.execute(sa.text(_MY_INDEXES)):
        keys.setdefault(row[0], {}).setdefault(row[1], []).append(row)
    qualifier = f"`{database}`."
    views = tuple(_my_view(n, d or "", qualifier) for n, d in conn.execute(sa.text(_MY_VIEWS)))
    tables = {}
    for name, table in schema.tables.items():
        table = _with_recovered_labels(conn, _update_columns(table, facts.get(name, {})))
        table_keys = keys.get(name, {})
        tables[name] = table.model_copy(update={
            "checks": tuple(table_checks.get(name, ())), "options": options.get(name, {}),
            "indexes": tuple(_my_index(index, rows) for index, rows in table_keys.items()),
            "unique_names": _unique_names(table, [(index, tuple(r[4] for r in rows))
                                                  for index, rows in table_keys.items() if not rows[0][2]])})
    return schema.model_copy(update={"tables": tables, "views": views})

