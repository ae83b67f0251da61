"""Schema introspection: SQLAlchemy's inspector for the portable facts, each engine's catalogue for the
DDL facts that rebuild a table exactly on the same engine (``anonymiser.source.catalog``)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from anonymiser.errors import SourceError
from anonymiser.schema import CheckConstraint, ColumnInfo, ColumnKind, ForeignKey, SchemaInfo, TableInfo
from anonymiser.source import catalog

if TYPE_CHECKING:
    import sqlalchemy as sa

_TEXT_NAMES = ("TEXT", "CLOB", "MEDIUMTEXT", "LONGTEXT", "TINYTEXT")


def column_kind(sa_type: Any) -> tuple[ColumnKind, dict[str, Any]]:
    """The logical kind of a SQLAlchemy type and its facets (length, precision, bits, members, elements)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use
    from sqlalchemy.dialects import mysql, postgresql  # heavy (~0.3 s): imported on first use

    facets: dict[str, Any] = {}
    if isinstance(sa_type, postgresql.DOMAIN):
        kind, facets = column_kind(sa_type.data_type)
        return kind, facets | {"user_type": sa_type.name}
    if isinstance(sa_type, sa.ARRAY):
        element, element_facets = column_kind(sa_type.item_type)
        # The elements' facets masking needs: an enum's members, a varchar(n)'s length (fakes must fit).
        facets = {k: v for k, v in element_facets.items()
                  if k in ("precision", "scale", "bits", "timezone", "members", "length")}
        return "array", facets | {"element_kind": element, "dimensions": max(sa_type.dimensions or 1, 1)}
    if isinstance(sa_type, sa.Boolean) or (isinstance(sa_type, mysql.TINYINT) and sa_type.display_width == 1):
        return "boolean", facets
    if isinstance(sa_type, mysql.YEAR):
        return "integer", {"bits": 16}
    if isinstance(sa_type, mysql.BIT):
        return "integer", {"bits": 64, "unsigned": True}
    if isinstance(sa_type, sa.Integer):
        unsigned = bool(getattr(sa_type, "unsigned", False))
        if isinstance(sa_type, sa.BigInteger):
            facets["bits"] = 64
        elif isinstance(sa_type, mysql.TINYINT):
            facets["bits"] = 8
        elif isinstance(sa_type, sa.SmallInteger):
            facets["bits"] = 16
        else:
            facets["bits"] = 32   # INT and MEDIUMINT
        return "integer", facets | ({"unsigned": True} if unsigned else {})
    if isinstance(sa_type, sa.Float):  # before Numeric: Float subclasses it
        return "float", facets   # single precision is told by the catalogue (SQLite REAL is 8 bytes)
    if isinstance(sa_type, postgresql.MONEY):
        return "decimal", {"scale": 2}
    if isinstance(sa_type, sa.Numeric):
        facets.update(precision=sa_type.precision, scale=sa_type.scale)
        return "decimal", facets | ({"unsigned": True} if getattr(sa_type, "unsigned", False) else {})
    if isinstance(sa_type, sa.Uuid):
        return "uuid", facets
    if isinstance(sa_type, mysql.SET):
        return "set", {"members": tuple(sa_type.values)}
    if isinstance(sa_type, sa.Enum):
        facets = {"members": tuple(sa_type.enums), "length": max((len(e) for e in sa_type.enums), default=None)}
        name = getattr(sa_type, "name", None)
        return "enum", facets | ({"user_type": name} if name else {})
    if isinstance(sa_type, sa.Text) or (isinstance(sa_type, sa.String) and not sa_type.length
                                        and type(sa_type).__name__.upper() in _TEXT_NAMES):
        return "text", _string_facets(sa_type)
    if isinstance(sa_type, sa.String):
        return "string", _string_facets(sa_type) | {"length": sa_type.length}
    if isinstance(sa_type, sa.DateTime):
        facets["timezone"] = bool(getattr(sa_type, "timezone", False))
        return "datetime", facets
    if isinstance(sa_type, sa.Date):
        return "date", facets
    if isinstance(sa_type, mysql.TIME):
        return "interval", facets   # MySQL TIME spans -838:59:59 to 838:59:59: a duration, not a time of day
    if isinstance(sa_type, sa.Time) and not getattr(sa_type, "timezone", False):
        return "time", facets   # (timetz keeps its offset only as text: "other")
    if isinstance(sa_type, sa.Interval) and not isinstance(sa_type, postgresql.INTERVAL):
        return "interval", facets
    if isinstance(sa_type, sa.LargeBinary | sa.types._Binary):
        facets["length"] = getattr(sa_type, "length", None)
        return "binary", facets
    if isinstance(sa_type, sa.JSON):
        return "json", facets
    # PostgreSQL interval (months do not fit a duration), inet, ranges, bit strings, xml, tsvector,
    # composites: read and written as the engine's own text form.
    return "other", facets


def _string_facets(sa_type: Any) -> dict[str, Any]:
    collation = getattr(sa_type, "collation", None)
    charset = getattr(sa_type, "charset", None)
    return ({"collation": collation} if collation else {}) | ({"charset": charset} if charset else {})


def _type_text(sa_type: Any, dialect: Any) -> str:
    try:
        return str(sa_type.compile(dialect=dialect))
    except Exception:  # noqa: BLE001 - some reflected types cannot compile; the name is enough
        return type(sa_type).__name__


def introspect(conn: sa.Connection, schema_name: str | None = None) -> SchemaInfo:
    """Tables, columns, keys, constraints and DDL facts of one schema (the default one when None)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    try:
        inspector = sa.inspect(conn)
        warnings.filterwarnings("ignore", message="Did not recognize type", category=sa.exc.SAWarning)
        # Expression indexes are read from the catalogue itself (catalog.py, sqlite_catalog.py).
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index",
                                category=sa.exc.SAWarning)
        partitions = catalog.partition_names(conn, schema_name)
        tables = sorted(t for t in inspector.get_table_names(schema=schema_name) if t not in partitions)
        columns = inspector.get_multi_columns(schema=schema_name)
        pks = inspector.get_multi_pk_constraint(schema=schema_name)
        fks = inspector.get_multi_foreign_keys(schema=schema_name)
        uniques = inspector.get_multi_unique_constraints(schema=schema_name)
        indexes = inspector.get_multi_indexes(schema=schema_name)
        checks = inspector.get_multi_check_constraints(schema=schema_name)
    except sa.exc.NoSuchTableError as exc:
        raise SourceError(f"schema {schema_name!r} does not exist in the source") from exc
    except sa.exc.DBAPIError as exc:
        raise SourceError(
            f"cannot read the source's schema ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
            hint="The user needs read access to the catalogue (information_schema / pg_catalog).",
        ) from None

    infos: dict[str, TableInfo] = {}
    outside: list[str] = []
    for name in tables:
        key = (schema_name, name)
        cols = [_column_info(col, conn.dialect) for col in columns.get(key, [])]
        pk_info: dict[str, Any] = dict(pks.get(key) or {})
        pk = tuple(pk_info.get("constrained_columns") or ())
        foreign = tuple(
            ForeignKey(columns=tuple(fk["constrained_columns"]), ref_table=fk["referred_table"],
                       ref_columns=tuple(fk["referred_columns"]), name=fk.get("name"), **_fk_options(fk))
            for fk in fks.get(key, [])
            if fk.get("referred_schema") in (None, schema_name) and fk["constrained_columns"]
        )
        outside += [f"{name}({', '.join(fk['constrained_columns'])}) -> {fk['referred_schema']}.{fk['referred_table']}"
                    for fk in fks.get(key, []) if fk.get("referred_schema") not in (None, schema_name)]
        unique_sets: list[tuple[str, ...]] = [tuple(u["column_names"]) for u in uniques.get(key, [])]
        # A partial unique index (WHERE …) does not make its columns unique: a same-engine copy rebuilds it as
        # an index (catalog.py), and neither the dumps nor verify treat the columns as a key.
        unique_sets += [tuple(str(c) for c in i["column_names"]) for i in indexes.get(key, [])
                        if i.get("unique") and None not in i["column_names"]
                        and not (i.get("dialect_options") or {}).get("postgresql_where")]
        unique_sets += _sqlite_unique_sets(conn, schema_name, name)
        unique = tuple(dict.fromkeys(u for u in unique_sets if u and u != pk))
        table_checks = tuple(CheckConstraint(expression=c["sqltext"], name=c.get("name"))
                             for c in checks.get(key, []) if c.get("sqltext"))
        infos[name] = TableInfo(name=name, schema_name=schema_name, columns=tuple(cols), primary_key=pk,
                                foreign_keys=foreign, unique=unique, checks=table_checks)
    schema = SchemaInfo(dialect=conn.dialect.name, database=_database_name(conn), schema_name=schema_name,
                        tables=infos, outside_foreign_keys=tuple(outside))
    try:
        return catalog.enrich(conn, schema)
    except sa.exc.DBAPIError as exc:
        raise SourceError(
            f"cannot read the source's catalogue ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
            hint="The user needs read access to the catalogue (information_schema / pg_catalog).",
        ) from None


_SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"})


def schemas_with_tables(conn: sa.Connection) -> dict[str, int]:
    """Every non-system schema (MySQL: database) of the source that holds tables, with its table count."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    inspector = sa.inspect(conn)
    try:
        names = [n for n in inspector.get_schema_names() if n not in _SYSTEM_SCHEMAS and not n.startswith("pg_")]
        counts = {name: len(inspector.get_table_names(schema=name)) for name in names}
    except sa.exc.DBAPIError:   # schemas the user may not list: no hint rather than a failure
        return {}
    return {name: n for name, n in counts.items() if n}


def _fk_options(fk: Any) -> dict[str, Any]:
    """ON DELETE / ON UPDATE actions and DEFERRABLE, as SQLAlchemy reflects them (NO ACTION: the default)."""
    options = fk.get("options") or {}

    def action(value: Any) -> str | None:
        text = " ".join(str(value).upper().split()) if value else ""
        return text if text in ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT") else None

    return {"on_delete": action(options.get("ondelete")), "on_update": action(options.get("onupdate")),
            "deferrable": bool(options.get("deferrable")),
            "initially_deferred": str(options.get("initially") or "").upper() == "DEFERRED"}


def _column_info(col: Any, dialect: Any) -> ColumnInfo:
    kind, facets = column_kind(col["type"])
    computed = col.get("computed") or {}
    identity = col.get("identity") or None
    default = col.get("default")
    return ColumnInfo(
        name=col["name"], kind=kind, sql_type=_type_text(col["type"], dialect),
        nullable=bool(col.get("nullable", True)),
        autoincrement=col.get("autoincrement") is True or identity is not None,
        default=None if computed else (str(default) if default is not None else None),
        generated=str(computed["sqltext"]) if computed.get("sqltext") else None,
        generated_stored=bool(computed.get("persisted", True)) if computed else True,
        identity=("always" if identity["always"] else "by default") if identity else None,
        **facets,
    )


def _database_name(conn: sa.Connection) -> str | None:
    url = conn.engine.url
    if url.get_backend_name() == "sqlite":
        return (url.database or ":memory:").rsplit("/", 1)[-1]
    return url.database


def _sqlite_unique_sets(conn: sa.Connection, schema_name: str | None, table: str) -> list[tuple[str, ...]]:
    """SQLite's own list of UNIQUE constraints and unique indexes (``PRAGMA index_list``): SQLAlchemy's
    parser misses a column-level UNIQUE after a type with parentheses (``postcode VARCHAR(4) UNIQUE``).
    Partial and expression indexes are left out: they do not make the column unique."""
    if conn.dialect.name != "sqlite":
        return []

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    prefix = f"{quoted(schema_name)}." if schema_name else ""
    sets = []
    for row in conn.exec_driver_sql(f"PRAGMA {prefix}index_list({quoted(table)})").fetchall():
        _, index, unique, origin, partial = row[:5]
        if not unique or partial or origin == "pk":
            continue
        columns = [info[2] for info in conn.exec_driver_sql(f"PRAGMA {prefix}index_info({quoted(index)})")]
        if columns and None not in columns:
            sets.append(tuple(str(c) for c in columns))
    return sets
