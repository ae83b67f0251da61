"""SQL dumps: one self-contained script per dialect (PostgreSQL, MySQL/MariaDB, SQLite).

``write_dump`` streams the Parquet output into ``sql/<dialect>.sql``; ``anonymiser.load`` reuses
the same dialects to load a database directly.
"""

from __future__ import annotations

from pathlib import Path

from anonymiser.errors import ConfigError
from anonymiser.progress import Progress
from anonymiser.write.manifest import Manifest
from anonymiser.write.sql.core import Dialect
from anonymiser.write.sql.dump import write_dump_file
from anonymiser.write.sql.mysql import MySQL
from anonymiser.write.sql.postgresql import PostgreSQL
from anonymiser.write.sql.sqlite import SQLite

DIALECTS = ("postgresql", "mysql", "sqlite")
_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"}


def get_dialect(name: str) -> Dialect:
    """The dialect by name (``postgresql``, ``mysql``/``mariadb``, ``sqlite``)."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key == "postgresql":
        return PostgreSQL()
    if key == "mysql":
        return MySQL()
    if key == "sqlite":
        return SQLite()
    raise ConfigError(f"unknown SQL dialect {name!r}", hint=f"Use one of: {', '.join(DIALECTS)}.")


def write_dump(directory: Path, manifest: Manifest, dialect: str, *,
               progress: Progress | None = None,
               warnings: list[str] | None = None) -> Path:
    """Write ``directory/sql/<dialect>.sql`` from the Parquet files the manifest lists; return its path.

    Streams batch by batch (bounded memory) into a temporary file renamed into place when complete.
    The caller records ``file_entry()`` of the result in ``manifest.sql_files[dialect]``. What does not carry
    over (table.column: mapped type, default, view left out) is in the script's header and, when given,
    appended to ``warnings``.
    """

    return write_dump_file(directory, manifest, get_dialect(dialect), progress=progress, warnings=warnings)


__all__ = ["DIALECTS", "get_dialect", "write_dump"]
