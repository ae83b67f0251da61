"""Dialect-independent table checksums: the same rows give the same digest in Parquet, PostgreSQL,
MariaDB or SQLite, whatever each driver returns (``Decimal`` or float, ``timedelta`` for MySQL TIME,
text dates from SQLite, parsed JSON from psycopg).

Each value is put in a canonical text form for its column kind, a row is its values joined by a
unit separator, and the digest is sha256 over the sorted rows, so row order does not matter.
This is a verification tool: it reads every row back, and normalising driver values is per value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from anonymiser.write.manifest import Manifest
from anonymiser.write.sql import get_dialect
from anonymiser.write.sql.core import ColumnPlan, TablePlan, decimal_precision, iter_batches, plan_tables

if TYPE_CHECKING:
    import sqlalchemy as sa

NULL = "\x00N"      # distinct from every text value, including '' and 'NULL'
SEPARATOR = "\x1f"
_WIDE = decimal.Context(prec=100)   # NUMERIC(65, 30) and beyond, without rounding


@dataclass(frozen=True)
class TableChecksum:
    rows: int
    sha256: str


def _float(value: Any, float32: bool) -> str:
    number = float(value)
    if float32:
        return repr(float(np.float32(number)) + 0.0)
    return repr(number + 0.0)   # + 0.0 folds -0.0 into 0.0: SQLite and MariaDB do not keep the sign


def _decimal(value: Any, scale: int | None) -> str:
    number = decimal.Decimal(repr(value)) if isinstance(value, float) else decimal.Decimal(str(value))
    with decimal.localcontext(_WIDE):
        if scale is not None:
            number = number.quantize(decimal.Decimal(1).scaleb(-scale))
        return format(number + 0, "f")   # + 0 folds -0.00 into 0.00


def _datetime(value: Any) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:  # aware values compare in UTC; MySQL and SQLite hold them as UTC
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value.strftime("%Y-%m-%d %H:%M:%S.%f"))


def _date(value: Any) -> str:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]).isoformat()
    if isinstance(value, dt.datetime):
        value = value.date()
    return str(value.isoformat())


def _time(value: Any) -> str:
    if isinstance(value, dt.timedelta):  # MySQL TIME arrives as a duration since midnight
        value = (dt.datetime.min + value).time()
    elif isinstance(value, str):
        value = dt.time.fromisoformat(value)
    return str(value.strftime("%H:%M:%S.%f"))


def _interval(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return str((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds)
    return str(int(value))


def _select(dialect: str, quoted: str, kind: str) -> str:
    # psycopg parses json into Python objects, and a JSON string into a bare str: read the text instead.
    return f"{quoted}::text" if dialect == "postgresql" and kind == "json" else quoted


def _json(value: Any) -> str:
    parsed = json.loads(value)
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _uuid(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview) and len(bytes(value)) == 16:
        return str(uuid.UUID(bytes=bytes(value)))
    return str(uuid.UUID(str(value)))


def _boolean(value: Any) -> str:
    return "t" if (value if isinstance(value, bool) else int(value)) else "f"


def canonicaliser(column: ColumnPlan) -> Callable[[Any], str]:
    """The function that puts one value of ``column`` in canonical text form."""

    kind = column.kind
    if kind == "float":
        float32 = pa.types.is_float32(column.arrow)
        return lambda v: _float(v, float32)
    if kind == "decimal":
        scale = decimal_precision(column)[1]
        return lambda v: _decimal(v, scale)
    simple: dict[str, Callable[[Any], str]] = {
        "integer": lambda v: str(int(v)), "boolean": _boolean, "date": _date, "datetime": _datetime,
        "time": _time, "interval": _interval, "binary": lambda v: bytes(v).hex(), "json": _json, "uuid": _uuid,
    }
    return simple.get(kind, str)


def digest(columns: Sequence[ColumnPlan], column_values: Iterable[Sequence[Sequence[Any]]]) -> TableChecksum:
    """Checksum of rows given as column-wise chunks (a list of value lists per chunk)."""
    functions = [canonicaliser(c) for c in columns]
    rows: list[str] = []
    for chunk in column_values:
        texts = [[NULL if v is None else f(v) for v in values] for f, values in zip(functions, chunk, strict=True)]
        rows.extend(SEPARATOR.join(cells) for cells in zip(*texts, strict=True))
    rows.sort()
    sha = hashlib.sha256()
    for row in rows:
        sha.update(row.encode("utf-8") + b"\n")
    return TableChecksum(rows=len(rows), sha256=sha.hexdigest())


def _plans(directory: Path, manifest: Manifest) -> dict[str, TablePlan]:
    return {p.name: p for p in plan_tables(directory, manifest, get_dialect("postgresql"))}


def parquet_checksums(directory: Path, manifest: Manifest) -> dict[str, TableChecksum]:
    """Per table, the checksum of the Parquet output."""
    result = {}
    for name, plan in _plans(directory, manifest).items():
        chunks = ([batch.column(c.info.name).to_pylist() for c in plan.columns]
                  for batch in iter_batches(directory, manifest, plan.table))
        result[name] = digest(plan.columns, chunks)
    return result


def database_checksums(conn: sa.Connection, directory: Path, manifest: Manifest) -> dict[str, TableChecksum]:
    """Per table, the checksum of what a database holds (a loaded dump, or ``anonymiser load``)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    dialect = get_dialect(conn.dialect.name)
    result = {}
    for name, plan in _plans(directory, manifest).items():
        columns = ", ".join(_select(dialect.name, dialect.quote(c.info.name), c.kind) for c in plan.columns)
        # A colon would start a bind parameter in text(): identifiers may hold one.
        query = f"SELECT {columns} FROM {dialect.quote(name)}".replace(":", "\\:")
        rows = conn.execute(sa.text(query)).all()
        chunk = [list(values) for values in zip(*rows, strict=True)] if rows else [[] for _ in plan.columns]
        result[name] = digest(plan.columns, [chunk])
    return result
