"""``anonymiser load``: the Parquet output into a database, parents first, constraints on.

The SQL dialects of ``anonymiser.write.sql`` render the same DDL and rows as the dumps; here they
go straight to the driver (COPY for PostgreSQL, batched INSERTs otherwise) in one transaction where
the database allows it. Driver messages can quote row values (a duplicate key, say), so a failed
statement is reported by table, error class and code only.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from anonymiser.errors import ConfigError, OutputError
from anonymiser.load.target import Target, open_target
from anonymiser.progress import Progress
from anonymiser.source.connect import connect, database_identity, safe_url
from anonymiser.write.manifest import Manifest, sha256_file
from anonymiser.write.sql import get_dialect
from anonymiser.write.sql.core import BATCH_ROWS, TablePlan, iter_batches, plan_tables

if TYPE_CHECKING:
    import sqlalchemy as sa



@dataclass
class LoadResult:
    dialect: str
    target: str                                      # URL with the password masked
    tables: dict[str, int] = field(default_factory=dict)   # rows loaded per table, in load order
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # cross-engine mappings, by table.column
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def check_files(directory: Path, manifest: Manifest) -> None:
    """Every data file is present and is the one the run wrote (sha256 from the manifest)."""
    for table, entry in manifest.tables.items():
        for item in entry.files:
            path = directory / item.path
            if not path.is_file():
                raise OutputError(f"missing data file {item.path}", table=table,
                                  hint="Re-run 'anonymiser run': the output directory is incomplete.")
            if sha256_file(path) != item.sha256:
                raise OutputError(f"{item.path} does not match the sha256 in manifest.json", table=table,
                                  hint="The file changed after the run wrote it: re-run 'anonymiser run'.")


REPORT_JSON = "report/report.json"


def verdict_of(directory: Path) -> tuple[str | None, list[str]]:
    """The verification verdict in the dataset's report (PASS/FAIL, None when missing or unreadable) and
    the failed gates' reason codes."""
    try:
        report = json.loads((directory / REPORT_JSON).read_text(encoding="utf-8"))
        verdict = report.get("verdict")
        reasons = sorted({str(f.get("reason")) for f in report.get("verification", {}).get("failures", [])
                          if isinstance(f, dict) and f.get("reason")})
    except (OSError, ValueError, AttributeError):
        return None, []
    return (verdict if verdict in ("PASS", "FAIL") else None), reasons


def require_verified(directory: Path, *, allow_failed: bool) -> None:
    """Refuse (ConfigError, exit 2) a dataset whose verification did not PASS, unless ``allow_failed``."""
    verdict, reasons = verdict_of(directory)
    if verdict == "PASS" or allow_failed:
        return
    why = (f"its verification verdict is FAIL ({', '.join(reasons) or 'see the report'})" if verdict == "FAIL"
           else f"it has no verification verdict ({REPORT_JSON} is missing or unreadable)")
    raise ConfigError(
        f"refusing to load {directory}: {why}, so it may hold personal data",
        hint=f"Read {directory / 'report' / 'report.html'}, fix the policy and re-run 'anonymiser run' (or "
             "'anonymiser verify'). To load it anyway, e.g. to inspect it in a private database, pass --allow-failed.",
    )


def external_references(conn: sa.Connection, tables: list[str], dataset: set[str]) -> list[tuple[str, str, str]]:
    """Foreign keys of the target's other tables that point at ``tables``: (table, constraint, referenced)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    found = []
    for (_, table), fks in sa.inspect(conn).get_multi_foreign_keys().items():
        if table in dataset:
            continue
        for fk in fks:
            if fk.get("referred_schema") is None and fk["referred_table"] in tables:
                found.append((table, fk.get("name") or "(unnamed)", fk["referred_table"]))
    conn.rollback()
    return sorted(found)


def _existing(conn: sa.Connection, plans: list[TablePlan]) -> dict[str, int]:
    """Rows in each table of the dataset that already exists in the target."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use

    names = set(sa.inspect(conn).get_table_names())
    dialect = get_dialect(conn.dialect.name)
    counts = {}
    for plan in plans:
        if plan.name in names:
            query = f"SELECT COUNT(*) FROM {dialect.quote(plan.name)}".replace(":", "\\:")
            counts[plan.name] = int(conn.execute(sa.text(query)).scalar_one())
    conn.rollback()
    return counts


def refuse_the_source(conn: sa.Connection, manifest: Manifest, target_url: str) -> None:
    """A copy is never loaded into the database it was made from: one wrong variable in a CI job
    (``--target "$ANONYMISER_SOURCE_URL"``) with ``--replace`` would replace production tables by the
    masked sample."""
    if manifest.source.identity is not None and database_identity(conn) == manifest.source.identity:
        raise ConfigError(
            f"the target {safe_url(target_url)} is the database this copy was made from "
            f"({manifest.source.dialect} database {manifest.source.database!r}, run {manifest.run_id}); nothing was "
            "changed",
            hint="Load into a test or staging database: check the --target URL.")


def load_dataset(directory: Path, target_url: str, *, replace: bool = False, allow_failed: bool = False,
                 progress: Progress | None = None, batch_rows: int = BATCH_ROWS) -> LoadResult:
    """Load the dataset in ``directory`` into ``target_url``: create its tables (parents first), load the
    rows with constraints enforced, in a transaction where the database allows DDL in one.

    A table that exists and holds rows is refused (ConfigError, exit 2) unless ``replace``, which drops
    and recreates the dataset's own tables only: never with CASCADE, and not at all when a table outside
    the dataset has a foreign key to one of them. A table that exists but is empty is loaded as it is
    (e.g. made by migrations). A dataset whose verification did not PASS is refused unless ``allow_failed``.
    """

    started = time.monotonic()
    manifest = Manifest.read(directory)
    check_files(directory, manifest)
    require_verified(directory, allow_failed=allow_failed)
    with connect(target_url, role="target") as conn:
        refuse_the_source(conn, manifest, target_url)
        dialect = get_dialect(conn.dialect.name)
        plans = plan_tables(directory, manifest, dialect)
        existing = _existing(conn, plans)
        full = [name for name, rows in existing.items() if rows]
        if full and not replace:
            raise ConfigError(
                f"the target table {full[0]!r} already holds {existing[full[0]]:,} rows"
                + (f" (and {len(full) - 1} more table(s) too: {', '.join(map(repr, full[1:]))})" if full[1:] else ""),
                table=full[0],
                hint="Load into an empty database, or pass --replace to drop and recreate the dataset's tables.",
            )
        drop = [p.name for p in plans if p.name in existing] if replace else []
        blocking = external_references(conn, drop, {p.name for p in plans}) if drop else []
        if blocking:
            listed = "; ".join(f"{t!r} ({c}) references {r!r}" for t, c, r in blocking)
            raise ConfigError(
                f"--replace would drop tables that other tables of the target depend on: {listed}. Nothing was "
                "changed", table=blocking[0][0],
                hint="anonymiser drops only the dataset's own tables and never cascades into yours: drop or alter "
                     "those foreign keys first, or load into an empty database or schema.")
        keep = {name for name in existing if name not in drop}
        result = LoadResult(dialect=dialect.name, target=safe_url(target_url), replaced=drop,
                            created=[p.name for p in plans if p.name not in keep],
                            warnings=[w for p in plans for w in p.warnings])
        names = {n for p in plans for n in (p.name, *p.table.column_names)}
        target = open_target(conn, dialect, names)
        _run(target, directory, manifest, plans, drop, keep, result, progress, batch_rows)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _run(target: Target, directory: Path, manifest: Manifest, plans: list[TablePlan], drop: list[str],
         keep: set[str], result: LoadResult, progress: Progress | None, batch_rows: int) -> None:
    dialect = target.dialect
    created = [p for p in plans if p.name not in keep]
    schema = manifest.schema_
    views = dialect.after_tables(plans, schema)
    if drop:   # views of the dataset depend on its tables: dropped first, created again after the data
        target.drop_views(list(schema.views))
    target.begin(drop=list(reversed(drop)))
    try:
        target.ddl(dialect.before_tables(created, schema, skip=target.existing_objects()) if created else [])
        target.ddl([s for p in created for s in dialect.create_statements(p)])
        target.start_data()
        for plan in plans:
            total = manifest.tables[plan.name].rows if plan.name in manifest.tables else None
            done = 0
            with target.table(plan) as write:
                for batch in iter_batches(directory, manifest, plan.table, batch_rows):
                    if batch.num_rows:
                        plan.observe(batch)
                        write(dialect.render_batch(plan, batch))
                        done += batch.num_rows
                        if progress:
                            progress(plan.name, done, total)
            if progress and not done:
                progress(plan.name, 0, total)
            result.tables[plan.name] = done
        target.end_data()
        target.ddl([s for p in created for s in dialect.after_data(p)], phase="constraints")
        target.ddl(views if created else [], phase="creating views")
        target.commit()
    except BaseException:
        target.abort(created=[p.name for p in created])
        raise


__all__ = ["LoadResult", "check_files", "load_dataset", "require_verified", "verdict_of"]
