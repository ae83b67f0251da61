"""Writing ``sql/<dialect>.sql``: one self-contained script, streamed batch by batch, published atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from anonymiser import __version__
from anonymiser.progress import Progress
from anonymiser.write.manifest import Manifest
from anonymiser.write.sql.core import BATCH_ROWS, Dialect, TablePlan, iter_batches, plan_tables

SQL_DIR = "sql"


def _header(dialect: Dialect, manifest: Manifest) -> list[str]:
    usage = {
        "postgresql": "psql -v ON_ERROR_STOP=1 -d DATABASE -f postgresql.sql",
        "mysql": "mariadb --default-character-set=utf8mb4 DATABASE < mysql.sql   (or mysql)",
        "sqlite": "sqlite3 DATABASE.sqlite < sqlite.sql",
    }[dialect.name]
    return [
        f"-- anonymiser {__version__}: masked dataset, run {manifest.run_id}, key id {manifest.key_id}\n",
        f"-- Load into an empty database:  {usage}\n",
        "-- Tables are created parents first; foreign keys are enforced while loading.\n",
    ]


def write_script(handle: BinaryIO, directory: Path, manifest: Manifest, dialect: Dialect,
                 progress: Progress | None = None, batch_rows: int = BATCH_ROWS) -> list[str]:
    """Write the script; return its warnings (table.column: what does not carry over), also in its header."""
    plans = plan_tables(directory, manifest, dialect)

    def text(*parts: str) -> None:
        handle.write("".join(parts).encode("utf-8"))

    schema = manifest.schema_
    text(*_header(dialect, manifest), *(f"-- warning: {w}\n" for p in plans for w in p.warnings),
         *dialect.client_lines(), *dialect.session())
    if dialect.transactional_ddl:
        text("BEGIN;\n")
    text("\n", *dialect.before_tables(plans, schema))
    text("\n", *(statement + "\n" for plan in plans for statement in dialect.create_statements(plan)))
    if not dialect.transactional_ddl:
        text("START TRANSACTION;\n\n")
    for plan in plans:
        _write_rows(handle, directory, manifest, dialect, plan, progress, batch_rows)
    if not dialect.transactional_ddl:
        text("COMMIT;\n\n")
    text(*(statement for plan in plans for statement in dialect.after_data(plan)))
    text(*dialect.after_tables(plans, schema))
    if dialect.transactional_ddl:
        text("COMMIT;\n")
    return [w for p in plans for w in p.warnings]


def _write_rows(handle: BinaryIO, directory: Path, manifest: Manifest, dialect: Dialect, plan: TablePlan,
                progress: Progress | None, batch_rows: int) -> None:
    entry = manifest.tables.get(plan.name)
    total = entry.rows if entry else None
    done = 0
    handle.write(f"-- {plan.name}: {total if total is not None else 'unknown'} rows\n".encode())
    handle.write(dialect.begin_table(plan).encode())
    for batch in iter_batches(directory, manifest, plan.table, batch_rows):
        if batch.num_rows:
            plan.observe(batch)
            handle.write(dialect.render_batch(plan, batch).script())
            done += batch.num_rows
            if progress:
                progress(plan.name, done, total)
    handle.write((dialect.end_table(plan) + "\n").encode())
    if progress and not done:
        progress(plan.name, 0, total)


def write_dump_file(directory: Path, manifest: Manifest, dialect: Dialect, *, progress: Progress | None = None,
                    batch_rows: int = BATCH_ROWS, warnings: list[str] | None = None) -> Path:
    """Write ``sql/<dialect>.sql`` atomically; its warnings are appended to ``warnings`` when given."""
    target = directory / SQL_DIR / f"{dialect.name}.sql"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{dialect.name}.", suffix=".sql.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
            found = write_script(handle, directory, manifest, dialect, progress, batch_rows)
        os.replace(temp_name, target)
        if warnings is not None:
            warnings += found
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target
