"""SQLite's DDL facts and storage classes.

SQLite stores any value in any column: a DATE column may hold 'not a date', an INTEGER column text.
Declared types say little, so one aggregate query per table counts the values that do not fit the
declared kind; such a column is read as text (or bytes, when it holds blobs among other values), its
declared type is kept for the dump, and ``check`` says so by table.column. Counts only, never values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from anonymiser.schema import (
    CheckConstraint,
    ColumnInfo,
    ColumnKind,
    ForeignKey,
    IndexInfo,
    SchemaInfo,
    TableInfo,
    ViewInfo,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

# Declared names SQLAlchemy resolves to NUMERIC affinity although they hold text or small integers.
_DECLARED: list[tuple[str, ColumnKind]] = [
    (r"^(ENUM|SET)\b", "text"), (r"^YEAR\b", "integer"), (r"^(UUID|GUID)\b", "string"),
]
_DATE = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
_DATETIME = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*'"


def _misfit(kind: ColumnKind, q: str) -> str:
    """SQL true for a non-null value that the reader of ``kind`` cannot take."""
    text = f"typeof({q}) <> 'text'"
    return {
        "integer": f"typeof({q}) <> 'integer'",
        "boolean": f"(typeof({q}) <> 'integer' OR {q} NOT IN (0, 1))",
        "float": f"typeof({q}) NOT IN ('integer', 'real')",
        "decimal": f"typeof({q}) NOT IN ('integer', 'real')",
        "date": f"({text} OR {q} NOT GLOB {_DATE})",
        "datetime": f"({text} OR ({q} NOT GLOB {_DATETIME} AND {q} NOT GLOB {_DATE}))",
        "time": f"({text} OR time({q}) IS NULL)",
        "binary": f"typeof({q}) <> 'blob'",
    }.get(kind, text)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def enrich(conn: sa.Connection, schema: SchemaInfo) -> SchemaInfo:
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    ddl = {name: sql or "" for name, sql in conn.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))}
    view_sql = list(conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")))
    relations = {n.casefold(): n for n in [*ddl, *(name for name, _ in view_sql)]}
    views = tuple(ViewInfo(name=name, definition=_view_select(sql or ""),
                           reads=_view_reads(_view_select(sql or ""), relations, name)) for name, sql in view_sql)
    tables = {}
    for name, table in schema.tables.items():
        declared = {row[1]: row[2] or "" for row in conn.exec_driver_sql(f"PRAGMA table_xinfo({_quote(name)})")}
        definitions = _column_definitions(ddl.get(name, ""))
        columns = []
        for column in table.columns:
            update: dict[str, Any] = {"native_type": declared.get(column.name, "")}
            if column.kind == "integer":
                update["bits"] = 64   # SQLite integers are 64-bit whatever the declared name
            for pattern, kind in _DECLARED:
                if re.search(pattern, declared.get(column.name, ""), flags=re.I):
                    update.update(kind=kind, precision=None, scale=None)
            members = _check_members(table.checks, column.name)
            if members and re.match(r"ENUM\b", declared.get(column.name, ""), flags=re.I):
                update.update(kind="enum", members=members)   # SQLite spells an ENUM's members as a CHECK
            definition = definitions.get(column.name, "")
            collation = re.search(r"\bCOLLATE\s+(\"[^\"]+\"|\w+)", definition, flags=re.I)
            if collation:
                update["collation"] = collation.group(1).strip('"')
            if re.search(r"\bAUTOINCREMENT\b", definition, flags=re.I):
                update["autoincrement"] = True
            columns.append(column.model_copy(update=update))
        columns = _storage_classes(conn, name, columns)
        without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", ddl.get(name, ""), flags=re.I))
        indexes, unique_names = _indexes(conn, table, ddl.get(name, ""))
        tables[name] = table.model_copy(update={"columns": tuple(columns), "without_rowid": without_rowid,
                                                "indexes": indexes, "unique_names": unique_names,
                                                "foreign_keys": _foreign_key_facts(conn, table, ddl.get(name, ""))})
    return schema.model_copy(update={"tables": tables, "views": views})


def _indexes(conn: sa.Connection, table: TableInfo, sql: str) -> tuple[tuple[IndexInfo, ...], tuple[str | None, ...]]:
    """The table's CREATE INDEX statements as written (non-unique, unique, partial, expression), and the
    names of its UNIQUE constraints (``CONSTRAINT name UNIQUE (…)`` in its statement, else the unique index's)."""
    found: dict[tuple[str, ...], str] = {}
    for part in _parts(sql):
        match = re.match(rf"\s*CONSTRAINT\s+({_NAME})\s+UNIQUE\s*\((.*)\)\s*$", part, flags=re.I | re.S)
        if match:
            columns = tuple(_unquote(c.strip()) for c in match.group(2).split(","))
            found.setdefault(columns, _unquote(match.group(1)))
    indexes = []
    for row in conn.exec_driver_sql(f"PRAGMA index_list({_quote(table.name)})").fetchall():
        index, unique, origin = row[1], row[2], row[3]
        if origin != "c":
            continue
        statement = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                         (index,)).scalar()
        if not statement:
            continue
        columns = tuple(r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info({_quote(index)})") if r[2])
        indexes.append(IndexInfo(name=index, definition=str(statement).strip().rstrip(";"), columns=columns))
        if unique:
            found.setdefault(columns, index)
    return tuple(sorted(indexes, key=lambda i: i.name)), tuple(found.get(u) for u in table.unique)


def _check_members(checks: tuple[CheckConstraint, ...], column: str) -> tuple[str, ...]:
    """The members of ``CHECK (column IN ('a', 'b'))``, the way SQLite declares an ENUM's members."""
    quoted = re.escape(_quote(column))
    plain = re.escape(column)
    pattern = (rf"\s*\(?\s*(?:{quoted}|`{plain}`|\[{plain}\]|{plain})\s+IN\s*"
               r"\(((?:\s*'(?:[^']|'')*'\s*,?)+)\)\s*\)?\s*")
    for check in checks:
        m = re.fullmatch(pattern, check.expression, flags=re.I)
        if m:
            return tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(1)))
    return ()


def _storage_classes(conn: sa.Connection, table: str, columns: list[ColumnInfo]) -> list[ColumnInfo]:
    readable = [c for c in columns if not c.generated or c.generated_stored]
    if not readable:
        return columns
    parts = []
    for c in readable:
        q = _quote(c.name)
        parts.append(f"sum({q} IS NOT NULL AND {_misfit(c.kind, q)})")
        parts += [f"sum(typeof({q}) = '{storage}')" for storage in ("blob", "integer", "real", "text")]
    row = conn.exec_driver_sql(f"SELECT {', '.join(parts)} FROM {_quote(table)}").one()
    verdicts: dict[str, ColumnInfo] = {}
    for i, c in enumerate(readable):
        misfits, blobs, integers, reals, texts = (int(v or 0) for v in row[5 * i:5 * i + 5])
        others = integers + reals + texts
        if not c.native_type and c.kind == "other":
            # No declared type: one storage class throughout is read as that class exactly.
            present = [kind for kind, n in (("binary", blobs), ("integer", integers), ("float", reals),
                                            ("text", texts)) if n]
            if len(present) == 1:
                verdicts[c.name] = c.model_copy(update={"kind": present[0], "bits": 64})
                continue
            if not present:
                continue
        if not misfits:
            continue
        declared = c.native_type or "no type"
        if blobs and not others:
            verdicts[c.name] = c.model_copy(update={
                "kind": "binary", "read_as_text": f"declared {declared} but holds only blobs: read as bytes"})
        elif blobs:
            verdicts[c.name] = c.model_copy(update={
                "kind": "binary", "length": None,
                "read_as_text": f"declared {declared} but holds blobs and other values ({misfits} do not fit): "
                                "read as bytes"})
        else:
            verdicts[c.name] = c.model_copy(update={
                "kind": "text", "length": None, "precision": None, "scale": None,
                "read_as_text": f"declared {declared} but {misfits} value(s) do not fit it: read as text"})
    return [verdicts.get(c.name, c) for c in columns]


def _column_definitions(sql: str) -> dict[str, str]:
    """Column name → its definition text, from a CREATE TABLE statement (top-level commas split it)."""
    out = {}
    for part in _parts(sql):
        text = part.strip()
        match = re.match(r'"((?:[^"]|"")+)"|`((?:[^`]|``)+)`|\[([^\]]+)\]|(\S+)', text)
        if not match:
            continue
        name = next(g for g in match.groups() if g is not None).replace('""', '"')
        if name.upper() not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            out[name] = text
    return out


def _foreign_key_facts(conn: sa.Connection, table: TableInfo, sql: str) -> tuple[ForeignKey, ...]:
    """ON DELETE / ON UPDATE actions (PRAGMA foreign_key_list) and DEFERRABLE (the statement's clause:
    SQLite keeps no other record of it) of each foreign key, which SQLAlchemy does not reflect here."""
    actions: dict[tuple[tuple[str, ...], str], tuple[str, str]] = {}
    rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({_quote(table.name)})").fetchall()
    for fk_id in sorted({r[0] for r in rows}):
        group = sorted((r for r in rows if r[0] == fk_id), key=lambda r: r[1])
        actions[(tuple(r[3] for r in group), group[0][2])] = (group[0][6], group[0][5])
    clauses = [p for p in _parts(sql) if re.search(r"\bREFERENCES\b", p, flags=re.I)]
    out = []
    for fk in table.foreign_keys:
        on_delete, on_update = actions.get((fk.columns, fk.ref_table), ("NO ACTION", "NO ACTION"))
        clause = next((c for c in clauses if _declares(c, fk)), "")
        deferrable = re.search(r"(?<!NOT )\bDEFERRABLE\s+INITIALLY\s+(DEFERRED|IMMEDIATE)\b", clause, flags=re.I)
        out.append(fk.model_copy(update={
            "on_delete": on_delete.upper() if on_delete.upper() != "NO ACTION" else None,
            "on_update": on_update.upper() if on_update.upper() != "NO ACTION" else None,
            "deferrable": bool(deferrable),
            "initially_deferred": bool(deferrable and deferrable.group(1).upper() == "DEFERRED")}))
    return tuple(out)


_NAME = r'"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[^\s(]+'


def _unquote(identifier: str) -> str:
    if identifier[:1] in ('"', "`", "[") and len(identifier) > 1:
        closing = "]" if identifier[0] == "[" else identifier[0]
        return identifier[1:-1].replace(closing * 2, closing) if closing != "]" else identifier[1:-1]
    return identifier


def _declares(clause: str, fk: ForeignKey) -> bool:
    """Whether a column definition or table constraint declares ``fk`` (by its columns)."""
    names = [re.escape(c) for c in fk.columns]
    if len(names) == 1 and re.match(rf'\s*(?:"{names[0]}"|`{names[0]}`|\[{names[0]}\]|{names[0]})\s', clause):
        return True
    listed = r"\s*,\s*".join(rf'(?:"{n}"|`{n}`|\[{n}\]|{n})' for n in names)
    return bool(re.search(rf"FOREIGN\s+KEY\s*\(\s*{listed}\s*\)", clause, flags=re.I))


def _parts(sql: str) -> list[str]:
    """The top-level comma-separated parts of a CREATE TABLE statement's body."""
    start, end = sql.find("("), sql.rfind(")")
    if start < 0 or end < 0:
        return []
    body, depth, quote = sql[start + 1:end], 0, ""
    parts: list[str] = []
    current: list[str] = []
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_IDENTIFIER = re.compile(r'"((?:[^"]|"")*)"|`((?:[^`]|``)*)`|\[([^\]]*)\]|([A-Za-z_][\w$]*)')


def _view_reads(select: str, relations: dict[str, str], name: str) -> tuple[str, ...]:
    """Tables and views a view names (SQLite keeps no dependency list: every identifier that is one, string
    literals aside)."""
    found = set()
    for match in _IDENTIFIER.finditer(_STRING_LITERAL.sub("''", select)):
        word = next(g for g in match.groups() if g is not None).replace('""', '"').replace("``", "`")
        relation = relations.get(word.casefold())
        if relation and relation != name:
            found.add(relation)
    return tuple(sorted(found))


def _view_select(sql: str) -> str:
    match = re.search(r"\bAS\s+(SELECT|WITH|VALUES)\b", sql, flags=re.I)
    return sql[match.start(1):].strip().rstrip(";") if match else sql


__all__ = ["enrich"]
