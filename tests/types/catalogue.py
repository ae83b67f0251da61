"""The type catalogue fixtures (tests/fixtures/types/*.sql) and catalogue snapshots to compare copies with.

A snapshot is what each engine's own catalogue says about a schema — column types, nullability,
defaults, collations, generated expressions, enum/set members, domains, constraints by definition,
sequences, partitions, views — with names unqualified, so a source schema and the target it was
loaded into compare equal when the copy is exact.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.dbs import database_name, run_mariadb, run_psql

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "types"
PG_SCHEMA = "inventory"
# Views calling a function of the source: no dump carries functions, so the copy leaves them out.
CALLS_A_FUNCTION = "film_shouts"


def without_view(snapshot: dict[str, list[tuple[Any, ...]]], view: str) -> dict[str, list[tuple[Any, ...]]]:
    """The snapshot as a copy leaving ``view`` out has it (its rows in every facet: MySQL lists a view's
    columns and the view among the tables)."""
    return {facet: [row for row in rows if row[0] != view] for facet, rows in snapshot.items()}


def build_postgres(url: str) -> None:
    run_psql(url, (FIXTURES / "postgresql.sql").read_text("utf-8"))


def build_mariadb(url: str) -> None:
    run_mariadb(url, (FIXTURES / "mysql.sql").read_text("utf-8"))


def build_sqlite(directory: Path) -> Path:
    path = directory / "catalogue.sqlite"
    conn = sqlite3.connect(path)
    try:
        conn.executescript((FIXTURES / "sqlite.sql").read_text("utf-8"))
    finally:
        conn.close()
    return path


# ------------------------------------------------------------------ PostgreSQL

_PG_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attndims,
               pg_get_expr(d.adbin, d.adrelid), co.collname, a.attgenerated, a.attidentity
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, a.attnum""",
    "constraints": """
        SELECT c.relname, k.contype, pg_get_constraintdef(k.oid) FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1, 2, 3""",
    "check_names": """
        SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('c', 'f', 'p', 'u') ORDER BY 1, 2""",
    # Every index by name and definition (keys', expression, partial, GiST/GIN, unique, partitions'), the
    # table name replaced (the source's is schema-qualified).
    "indexes": """
        SELECT c.relname, i.relname, regexp_replace(pg_get_indexdef(i.oid), ' ON (ONLY )?\\S+ ', ' ON t ')
        FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
        WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1, 2""",
    "types": """
        SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
               (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid),
               (SELECT array_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k
                 WHERE k.contypid = t.oid),
               (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
                  FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid AND r.relkind = 'c'
                 WHERE a.attrelid = t.typrelid AND a.attnum > 0)
        FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace
          AND t.typtype IN ('e', 'd', 'r', 'c') AND (t.typtype <> 'c' OR EXISTS
              (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c'))
        ORDER BY 1""",
    "sequences": """
        SELECT s.relname, format_type(q.seqtypid, NULL), q.seqincrement FROM pg_class s
        JOIN pg_sequence q ON q.seqrelid = s.oid
        WHERE s.relnamespace = current_schema()::regnamespace AND s.relkind = 'S' ORDER BY 1""",
    "partitions": """
        SELECT p.relname, pg_get_partkeydef(p.oid), c.relname, pg_get_expr(c.relpartbound, c.oid)
        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
        WHERE p.relnamespace = current_schema()::regnamespace AND p.relkind = 'p' ORDER BY 1, 3""",
    "triggers": """
        SELECT c.relname, t.tgname, regexp_replace(pg_get_triggerdef(t.oid), ' ON \\S+ FOR ', ' ON t FOR ')
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2""",
    "views": """
        SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v' ORDER BY 1""",
}


def pg_snapshot(url: str, schema: str = "public") -> dict[str, list[tuple[Any, ...]]]:
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database_name(url)) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (f'"{schema}"',))
        return {name: [tuple(row) for row in conn.execute(sql).fetchall()] for name, sql in _PG_QUERIES.items()}


def pg_sequence_state(url: str, schema: str = "public") -> dict[str, int]:
    """last_value of each sequence, identity columns' included (their sequences are not in the snapshot)."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database_name(url)) as conn:
        rows = conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s",
                            (schema,)).fetchall()
    return {name: value for name, value in rows}


# ------------------------------------------------------------------ MySQL / MariaDB

_MY_QUERIES = {
    "columns": """
        SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
               CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, GENERATION_EXPRESSION
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 3""",
    "tables": """
        SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1""",
    "checks": """
        SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2""",
    "keys": """
        SELECT k.TABLE_NAME, t.CONSTRAINT_TYPE, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION,
               k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME
        FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS t
          ON t.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME
         AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        WHERE k.CONSTRAINT_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE <> 'UNIQUE' ORDER BY 1, 2, 3, 5""",
    "unique": """
        SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'
        GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1, 2""",
    # Every index by name: uniqueness, type (BTREE, FULLTEXT …), columns and prefix lengths.
    "indexes": """
        SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE,
               GROUP_CONCAT(CONCAT(COLUMN_NAME, IFNULL(CONCAT('(', SUB_PART, ')'), '')) ORDER BY SEQ_IN_INDEX)
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
        GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE ORDER BY 1, 2""",
    "fk_actions": """
        SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, UPDATE_RULE, DELETE_RULE
        FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2""",
    "views": """
        SELECT TABLE_NAME, REPLACE(VIEW_DEFINITION, CONCAT('`', DATABASE(), '`.'), '') FROM information_schema.VIEWS
        WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1""",
}


def mysql_snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=database_name(url),
                           charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            out = {}
            for name, sql in _MY_QUERIES.items():
                cur.execute(sql)
                out[name] = [tuple(row) for row in cur.fetchall()]
            return out
    finally:
        conn.close()


def mysql_auto_increment(url: str) -> dict[str, int]:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=database_name(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL")
            return {name: int(value) for name, value in cur.fetchall()}
    finally:
        conn.close()


# ------------------------------------------------------------------ SQLite

def sqlite_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """PRAGMA facts per table, plus each table's and view's DDL with whitespace normalised."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                              "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out: dict[str, list[tuple[Any, ...]]] = {"tables": [(t,) for t in tables]}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            out[f"{table}.columns"] = [tuple(r) for r in conn.execute(f"PRAGMA table_xinfo({quoted})")]
            out[f"{table}.foreign_keys"] = [tuple(r[2:7]) for r in conn.execute(f"PRAGMA foreign_key_list({quoted})")]
            out[f"{table}.unique"] = sorted(
                tuple(c[2] for c in conn.execute(f"PRAGMA index_info(\"{r[1]}\")"))
                for r in conn.execute(f"PRAGMA index_list({quoted})") if r[2] and r[3] != "pk")
        out["views"] = [tuple(r) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
        # Indexes with a statement (not the automatic ones of keys), as written; and the DEFERRABLE clauses.
        out["indexes"] = [tuple(r) for r in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1")]
        out["constraint_names"] = [(name, [n.strip('"') for n in re.findall(r'CONSTRAINT\s+("[^"]+"|\w+)', sql or "",
                                                                          flags=re.I)])
                                   for name, sql in conn.execute("SELECT name, sql FROM sqlite_master "
                                                                 "WHERE type = 'table' ORDER BY 1")]
        out["deferrable"] = [(name, " ".join(re.findall(r"DEFERRABLE INITIALLY \w+", sql or "", flags=re.I)))
                             for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                                           "ORDER BY 1")]
        return out
    finally:
        conn.close()
