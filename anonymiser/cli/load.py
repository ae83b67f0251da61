from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.load import load_dataset

NAME = "load"
HELP = """Load a masked dataset (the Parquet output of 'anonymiser run') into a database.

Creates the tables with their primary keys, UNIQUE constraints and foreign keys (parents first;
cycles get their foreign keys after the data), loads every row with constraints enforced, in one
transaction where the database allows it (PostgreSQL, SQLite; MySQL/MariaDB commit DDL, so a failed
load drops the tables it created). Works across dialects: a PostgreSQL source loads into MariaDB.

A target table that already holds rows is refused (exit 2) unless --replace, which drops and
recreates the dataset's own tables (never with CASCADE; refused when another table's foreign key
points at one of them). An existing empty table is loaded as it is. A dataset whose verification
verdict is not PASS is refused unless --allow-failed. An interrupted or failed load leaves the
target as it was.

Examples:

  anonymiser load masked/ --target postgresql://app@staging/shop

  anonymiser load masked/ --target mysql://root@127.0.0.1/test_worker_3 --replace

  anonymiser load masked/ --target sqlite:///test.sqlite
"""


@handles_errors
def command(
    directory: Path = typer.Argument(..., help="Output directory of 'anonymiser run' (holds manifest.json).",
                                     show_default=False),
    target: str = typer.Option(..., "--target", "-t", help="Target database URL (SQLAlchemy form).",
                               show_default=False),
    replace: bool = typer.Option(False, "--replace", help="Drop and recreate the dataset's tables that already "
                                                            "hold rows (never other tables, never CASCADE)."),
    allow_failed: bool = typer.Option(False, "--allow-failed",
                                      help="Load a dataset whose verification verdict is FAIL (or missing)."),
) -> None:

    console = output()
    with console.progress() as progress:
        result = load_dataset(directory, target, replace=replace, allow_failed=allow_failed, progress=progress)
    for warning in result.warnings:   # where a type has no equivalent on the target (docs/types.md)
        console.event("type_mapped", f"warning: {warning}", warning=warning)
    for table, rows in result.tables.items():
        console.event("table_loaded", f"  {table}: {rows:,} rows", table=table, rows=rows)
    replaced = f", replaced {len(result.replaced)} table(s)" if result.replaced else ""
    console.event(
        "load_finished",
        f"loaded {result.rows:,} rows into {len(result.tables)} table(s) of {result.target} "
        f"({result.dialect}) in {result.seconds:.1f}s{replaced}",
        target=result.target, dialect=result.dialect, rows=result.rows, tables=len(result.tables),
        replaced=result.replaced, seconds=result.seconds,
    )
