"""Schema introspection through SQLAlchemy's inspector (SQLite, PostgreSQL, MariaDB/MySQL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anonymiser.errors import SourceError
from anonymiser.schema import ColumnInfo, ColumnKind, ForeignKey, SchemaInfo, TableInfo

if TYPE_CHECKING:
    import sqlalchemy as sa


def column_kind(sa_type: Any) -> tuple[ColumnKind, dict[str, Any]]:
    """The logical kind of a SQLAlchemy type and its size facets (length, precision, bits, timezone)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql

    facets: dict[str, Any] = {}
    if isinstance(sa_type, sa.Boolean) or (isinstance(sa_type, mysql.TINYINT) and sa_type.display_width == 1):
        return "boolean", facets
    if isinstance(sa_type, sa.Integer):
        if isinstance(sa_type, sa.BigInteger):
            facets["bits"] = 64
        elif isinstance(sa_type, mysql.TINYINT):
            facets["bits"] = 8
        elif isinstance(sa_type, sa.SmallInteger):
            facets["bits"] = 16
        else:
            facets["bits"] = 32 if not isinstance(sa_type, mysql.MEDIUMINT) else 32
        return "integer", facets
    if isinstance(sa_type, sa.Float):  # before Numeric: Float subclasses it
        return "float", facets
    if isinstance(sa_type, sa.Numeric):
        facets.update(precision=sa_type.precision, scale=sa_type.scale)
        return "decimal", facets
    if isinstance(sa_type, sa.Uuid):
        return "uuid", facets
    if isinstance(sa_type, sa.Enum):
        return "string", {"length": max((len(e) for e in sa_type.enums), default=None)}
    if isinstance(sa_type, sa.Text) or (isinstance(sa_type, sa.String) and not sa_type.length
                                        and type(sa_type).__name__.upper() in ("TEXT", "CLOB", "MEDIUMTEXT",
                                                                               "LONGTEXT", "TINYTEXT")):
        return "text", facets
    if isinstance(sa_type, sa.String):
        facets["length"] = sa_type.length
        return "string", facets
    if isinstance(sa_type, sa.DateTime):
        facets["timezone"] = bool(getattr(sa_type, "timezone", False))
        return "datetime", facets
    if isinstance(sa_type, sa.Date):
        return "date", facets
    if isinstance(sa_type, sa.Time):
        return "time", facets
    if isinstance(sa_type, sa.Interval):
        return "interval", facets
    if isinstance(sa_type, sa.LargeBinary | sa.types._Binary):
        facets["length"] = getattr(sa_type, "length", None)
        return "binary", facets
    if isinstance(sa_type, sa.JSON):
        return "json", facets
    return "other", facets


def _type_text(sa_type: Any, dialect: Any) -> str:
    try:
        return str(sa_type.compile(dialect=dialect))
    except Exception:  # noqa: BLE001 - some reflected types cannot compile; the name is enough
        return type(sa_type).__name__


def introspect(conn: sa.Connection, schema_name: str | None = None) -> SchemaInfo:
    """Tables, columns, keys and unique constraints of one schema (the default one when None)."""
    import sqlalchemy as sa

    try:
        inspector = sa.inspect(conn)
        tables = sorted(inspector.get_table_names(schema=schema_name))
        columns = inspector.get_multi_columns(schema=schema_name)
        pks = inspector.get_multi_pk_constraint(schema=schema_name)
        fks = inspector.get_multi_foreign_keys(schema=schema_name)
        uniques = inspector.get_multi_unique_constraints(schema=schema_name)
        indexes = inspector.get_multi_indexes(schema=schema_name)
    except sa.exc.NoSuchTableError as exc:
        raise SourceError(f"schema {schema_name!r} does not exist in the source") from exc
    except sa.exc.DBAPIError as exc:
        raise SourceError(
            f"cannot read the source's schema ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})",
            hint="The user needs read access to the catalogue (information_schema / pg_catalog).",
        ) from None

    infos: dict[str, TableInfo] = {}
    for name in tables:
        key = (schema_name, name)
        cols = []
        for col in columns.get(key, []):
            kind, facets = column_kind(col["type"])
            cols.append(ColumnInfo(
                name=col["name"], kind=kind, sql_type=_type_text(col["type"], conn.dialect),
                nullable=bool(col.get("nullable", True)), autoincrement=col.get("autoincrement") is True,
                **facets,
            ))
        pk_info: dict[str, Any] = dict(pks.get(key) or {})
        pk = tuple(pk_info.get("constrained_columns") or ())
        foreign = tuple(
            ForeignKey(columns=tuple(fk["constrained_columns"]), ref_table=fk["referred_table"],
                       ref_columns=tuple(fk["referred_columns"]), name=fk.get("name"))
            for fk in fks.get(key, [])
            if fk.get("referred_schema") in (None, schema_name) and fk["constrained_columns"]
        )
        unique_sets: list[tuple[str, ...]] = [tuple(u["column_names"]) for u in uniques.get(key, [])]
        unique_sets += [tuple(str(c) for c in i["column_names"]) for i in indexes.get(key, [])
                        if i.get("unique") and None not in i["column_names"]]
        unique = tuple(dict.fromkeys(u for u in unique_sets if u and u != pk))
        infos[name] = TableInfo(name=name, schema_name=schema_name, columns=tuple(cols), primary_key=pk,
                                foreign_keys=foreign, unique=unique)
    return SchemaInfo(dialect=conn.dialect.name, database=_database_name(conn), schema_name=schema_name,
                      tables=infos)


def _database_name(conn: sa.Connection) -> str | None:
    url = conn.engine.url
    if url.get_backend_name() == "sqlite":
        return (url.database or ":memory:").rsplit("/", 1)[-1]
    return url.database
