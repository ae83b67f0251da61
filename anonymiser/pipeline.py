"""``run``: subset → detect → mask → write → verify → report, published atomically.

This module orchestrates; each stage lives in its own package. It never logs a value: events
carry table names, column names and counts only.
"""

from __future__ import annotations

import getpass
import os
import platform
import shlex
import signal
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from anonymiser import __version__
from anonymiser.detect import detect_schema, draft_policy
from anonymiser.detect.engine import get_engine
from anonymiser.detect.model import DetectionResult
from anonymiser.detect.recorded import detect_from_policy
from anonymiser.detect.spans import find_spans
from anonymiser.detect.update import Update, missing_columns, update_policy
from anonymiser.errors import ConfigError
from anonymiser.inputs import masking_inputs_ahead
from anonymiser.mask.base import SpanFinder
from anonymiser.mask.dictionaries import VERSION as dictionaries_version
from anonymiser.mask.keys import DEMO_KEY, KEY_ENV, key_from_env, key_id
from anonymiser.mask.source_values import SourceValues
from anonymiser.plan import Plan, build_plan
from anonymiser.policy.load import LoadedPolicy
from anonymiser.pool import Chunk, MaskJob, MaskPool, analyzer_processes, default_jobs
from anonymiser.progress import Event, Progress
from anonymiser.report import build_report, write_report
from anonymiser.schema import SchemaInfo
from anonymiser.source.bulk import SourceReader
from anonymiser.source.catalog import refuse_spatial
from anonymiser.source.connect import (
    connect,
    database_identity,
    normalise_url,
    resolve_source_url,
    safe_url,
)
from anonymiser.source.introspect import introspect, schemas_with_tables
from anonymiser.source.read import DEFAULT_CHUNK_ROWS
from anonymiser.source.snapshot import shared_snapshot
from anonymiser.subset import SubsetResult, compute_subset, virtual_foreign_keys
from anonymiser.subset.check import subset_problems
from anonymiser.verify import VerifyResult, verify_output
from anonymiser.verify.model import MANIFEST_NOT_AUTHENTICATED, MANIFEST_TAMPERED, Failure
from anonymiser.write.dumps import sql_dumps
from anonymiser.write.manifest import (
    ColumnMasking,
    Manifest,
    SourceFingerprint,
    TableEntry,
    file_entry,
    timestamp,
    without_zero_dates,
)
from anonymiser.write.outdir import OutputDir, private_files
from anonymiser.write.parquet import TableWriter
from anonymiser.write.signature import sign
from anonymiser.write.sql import DIALECTS

FORMATS = ("parquet", "sql")


@dataclass
class RunOptions:
    source_url: str
    out_dir: Path
    key: bytes
    formats: tuple[str, ...] = ("parquet",)
    dialects: tuple[str, ...] = ()
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    jobs: int = field(default_factory=default_jobs)   # worker processes masking chunks (pool.py)
    detect_sample: int = 1000
    demo_key: bool = False


def run_options(loaded: LoadedPolicy, *, source: str | None, out: Path, key: bytes, formats: str = "parquet",
                dialect: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS, jobs: int | None = None,
                demo_key: bool = False) -> RunOptions:
    """``run``'s options from the command line's text: ``formats``/``dialect`` comma-separated, the source
    URL from ``source``, ANONYMISER_SOURCE_URL or the policy; Parquet is always written (the dump and
    the checks are built from it); the dump's dialect defaults to the source's."""
    chosen = _choose(formats, FORMATS, "--format")
    if "parquet" not in chosen:
        chosen = ("parquet", *chosen)
    source_url = resolve_source_url(source, loaded.policy.source)
    dialects: tuple[str, ...] = ()
    if "sql" in chosen:
        default = normalise_url(source_url).split(":", 1)[0].split("+", 1)[0]
        dialects = _choose(dialect or default, DIALECTS, "--dialect")
    elif dialect:
        raise ConfigError("--dialect needs --format sql (e.g. --format parquet,sql)")
    options = RunOptions(source_url=source_url, out_dir=out, key=key, formats=chosen, dialects=dialects,
                         chunk_rows=chunk_rows, demo_key=demo_key)
    if jobs is not None:
        options.jobs = jobs
    return options


def _choose(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [v for v in items if v not in allowed]
    if unknown or not items:
        raise ConfigError(f"{option} {value!r} is not valid", hint=f"Use one or more of: {', '.join(allowed)}.")
    return items


@dataclass
class RunResult:
    out_dir: Path
    manifest: Manifest
    passed: bool
    failures: list[Failure]


def _versions() -> dict[str, str]:
    versions = {"anonymiser": __version__, "python": platform.python_version()}
    for dist in ("pandas", "pyarrow", "SQLAlchemy", "Faker", "presidio-analyzer", "spacy"):
        try:
            versions[dist.lower()] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist.lower()] = "not installed"
    versions["dictionaries"] = str(dictionaries_version)
    return versions


def prepare(conn: Any, loaded: LoadedPolicy) -> tuple[SchemaInfo, Plan]:
    """Introspect the source, add the policy's virtual FKs, and plan (raises on drift)."""

    schema = introspect(conn, loaded.policy.schema_name)
    problems = [(p.path, p.message, p.hint) for p in subset_problems(conn, schema, loaded.policy.subset)]
    problems += loaded.reference_problems(schema)
    if problems:   # names and where-clauses the live source cannot take: at check, with file:line
        raise loaded.problems_error(problems)
    schema = schema.with_foreign_keys(virtual_foreign_keys(loaded.policy.subset, schema))
    plan = build_plan(loaded, schema)
    refuse_spatial(plan.schema)   # only tables the policy keeps
    return schema, plan


def run(loaded: LoadedPolicy, options: RunOptions, *, progress: Progress, event: Event) -> RunResult:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    started = timestamp()
    out = OutputDir(options.out_dir, run_id)
    out.check()   # before reading anything: a directory that is not ours is refused at once, untouched
    previous = out.previous_key_id()
    if previous is not None and previous != key_id(options.key):
        event("key_changed", f"the output at {options.out_dir} was made with key id {previous}; this run uses key "
                             f"id {key_id(options.key)}, so every pseudonym will differ from it (copies made with "
                             "different keys do not join)", as_warning=True, previous_key_id=previous,
              key_id=key_id(options.key))
    with private_files(), analyzer_processes(options.jobs), connect(options.source_url) as conn, \
            shared_snapshot(conn, lambda why: event("no_snapshot", why, as_warning=True)), \
            SourceReader(conn) as reader:
        schema, plan = prepare(conn, loaded)
        warn_outside_foreign_keys(schema, event)
        event("planned", f"policy covers all {sum(len(t.columns) for t in plan.tables.values())} columns of "
                         f"{len(plan.tables)} tables", tables=len(plan.tables))
        subset = _subset(conn, plan, loaded, progress)
        with masking_inputs_ahead(conn, reader, plan, subset, source_url=options.source_url, jobs=options.jobs,
                                  chunk_rows=options.chunk_rows, progress=progress) as masking_inputs:
            _load_analyzer(plan)
            detection = _detect(conn, plan.schema, loaded, options.detect_sample, progress)
            inputs = masking_inputs()
        try:
            work = out.prepare()   # inside: a signal landing as prepare returns must not leave the partial behind
            (work / "policy.yaml").write_text(loaded.text, encoding="utf-8")  # provenance; holds no credentials
            tables = _write_parquet(reader, plan, subset, options, work, progress, event, *inputs)
            # The known-entity index and the source values are no longer needed after masking (hundreds of MB
            # on a 10M-row table): freed before the dump and verification.
            del inputs
            for table_plan in plan.tables.values():   # nothing is masked after this: free what strategies held
                for column_plan in table_plan.columns:
                    column_plan.strategy.release()
            manifest = _manifest(run_id, started, loaded, options, schema, plan, subset, detection, tables)
            manifest.schema_, relaxed = without_zero_dates(manifest.schema_, manifest.tables)
            for note in relaxed:
                event("zero_dates_schema", note, as_warning=True)
            manifest.source.identity = database_identity(conn)
            manifest.write(work)
            with sql_dumps(work, manifest, options.dialects, options.jobs, progress, event) as dumps_written:
                passed, failures = _verify_and_report(work, manifest, conn, progress, event, options.jobs,
                                                      dumps_written)
            sign(work, options.key, run_id=manifest.run_id, key_id=manifest.key_id)
            final = out.publish()
        except BaseException:
            out.discard()
            raise
    return RunResult(out_dir=final, manifest=manifest, passed=passed, failures=failures)


def _subset(conn: Any, plan: Plan, loaded: LoadedPolicy, progress: Progress) -> SubsetResult:
    return compute_subset(conn, plan.schema, loaded.policy.subset,
                          progress=lambda table, rows: progress(f"subset {table}", rows, None))


def _load_analyzer(plan: Plan) -> None:
    """The analyzer free-text masking finds spans with, loaded once here when a rule masks free text (the masking
    workers, forked later, inherit it). A cost of masking: detection loads it only to sample a column."""
    if plan.masks_free_text():
        get_engine()


def _detect(conn: Any, schema: SchemaInfo, loaded: LoadedPolicy, sample: int,
            progress: Progress) -> DetectionResult:
    """The policy's rules and the scan's recorded evidence; only columns the scan never judged are sampled."""
    return detect_from_policy(conn, schema, loaded, sample=sample, engine=get_engine,
                              progress=progress)


def _write_parquet(reader: SourceReader, plan: Plan, subset: Any, options: RunOptions, work: Path, progress: Progress,
                   event: Event, finder: SpanFinder = find_spans,
                   source_values: SourceValues | None = None) -> dict[str, TableEntry]:
    """Read, mask and write every table; chunks are masked by ``options.jobs`` processes (``MaskPool``)."""
    entries: dict[str, TableEntry] = {}
    job = MaskJob(plan, options.key, finder, source_values)

    nulled: dict[str, Counter[str]] = {}

    def chunks() -> Iterator[Chunk]:
        for name in job.read_order(plan.schema.load_order()):
            row_filter = subset.filters.get(name)
            if row_filter is None or not row_filter.is_empty:
                counts = nulled.setdefault(name, Counter())
                for batch in reader.read_table(plan.tables[name].table, row_filter=row_filter,
                                               chunk_rows=options.chunk_rows, nulled=counts):
                    yield name, batch
            yield name, None

    writers: dict[str, TableWriter] = {}
    try:
        with MaskPool(job, options.jobs) as pool:
            for name, batch in pool.masked(chunks()):
                writer = writers.get(name) or writers.setdefault(name, TableWriter(work, name, job.out_schemas[name]))
                if batch is not None:
                    writer.write(batch)
                    progress(name, writer.rows, subset.kept_rows.get(name))
                    continue
                writers.pop(name).close()
                entries[name] = _table_written(name, writer, work, subset, progress, event)
                entries[name].dates_nulled = dates_nulled(name, nulled.get(name), event)
    finally:
        for writer in writers.values():
            writer.close()
    return {name: entries[name] for name in plan.schema.load_order() if name in entries}   # the manifest's order


def _table_written(name: str, writer: TableWriter, work: Path, subset: Any, progress: Progress,
                   event: Event) -> TableEntry:
    progress(name, writer.rows, writer.rows)
    source_rows = subset.source_rows.get(name)
    of = f" of {source_rows:,}" if source_rows is not None and source_rows != writer.rows else ""
    event("table_written", f"{name}: {writer.rows:,}{of} rows", table=name, rows=writer.rows,
          source_rows=source_rows)
    return TableEntry(rows=writer.rows, source_rows=source_rows, files=[file_entry(work, writer.path)])


def dates_nulled(table: str, counts: Counter[str] | None, event: Event) -> dict[str, int]:
    """Warn of the MySQL dates no calendar has that the table's copy holds as NULL (docs/types.md)."""
    for column, count in sorted((counts or {}).items()):
        event("zero_dates", f"{table}.{column}: {count:,} zero date(s) (a zero year, month or day, which no "
                              "calendar has) written as NULL", as_warning=True, table=table, column=column, cells=count)
    return dict(sorted((counts or {}).items()))


def _masking(plan: Plan, detection: DetectionResult) -> dict[str, dict[str, ColumnMasking]]:
    """Per table and column, how it was masked (after writing: the strategies' counts are final)."""
    found = detection.by_column()
    out: dict[str, dict[str, ColumnMasking]] = {}
    for name, table_plan in plan.tables.items():
        keys = plan.schema.key_columns(name)
        out[name] = {}
        for c in table_plan.columns:
            finding = found.get((name, c.column.name))
            out[name][c.column.name] = ColumnMasking.of(
                c.strategy, options=c.rule.options, entity=finding.entity if finding else None,
                in_key=c.column.name in keys, unique=c.unique, reason=c.rule.reason)
    return out


def _manifest(run_id: str, started: str, loaded: LoadedPolicy, options: RunOptions, schema: SchemaInfo,
              plan: Plan, subset: SubsetResult, detection: DetectionResult,
              tables: dict[str, TableEntry]) -> Manifest:
    output_schema = plan.output_schema()
    for name, masking in _masking(plan, detection).items():
        tables[name].masking = masking
    return Manifest(
        run_id=run_id, started_at=started, run_by=_user(), host=socket.gethostname(),
        tool_versions=_versions(), detection=detection,
        policy_path=str(loaded.path), policy_sha256=loaded.sha256, policy=loaded.policy,
        key_id=key_id(options.key), demo_key=options.demo_key,
        source=SourceFingerprint(dialect=schema.dialect, database=schema.database, schema_hash=schema.fingerprint()),
        subset=subset.record(),
        schema=output_schema, load_order=output_schema.load_order(), tables=tables,
        formats=list(options.formats),
    )


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _verify_and_report(work: Path, manifest: Manifest, conn: Any, progress: Progress, event: Event, jobs: int,
                       sql_dumps: Callable[[], None] | None = None) -> tuple[bool, list[Failure]]:
    """``sql_dumps``: see ``verify_output``."""
    result = verify_output(work, manifest, source=conn, progress=progress, jobs=jobs, sql_dumps=sql_dumps)
    write_report(work, build_report(work, manifest, result))
    event("verified", f"verification {'PASS' if result.passed else 'FAIL'}", passed=result.passed,
          failures=len(result.failures))
    return bool(result.passed), list(result.failures)


@dataclass
class ReverifyResult:
    result: VerifyResult
    report_html: Path | None  # None: the report was left as it was (no source: a partial check)
    signed: bool              # the rewritten report was signed again (only an authentic output is)


def signing_key(manifest: Manifest) -> bytes | None:
    """The key an output was signed with: the public demo key for a demo output, else ANONYMISER_KEY
    (None when it is not set: the signature cannot be checked, and verify fails)."""
    if manifest.demo_key:
        return DEMO_KEY
    return key_from_env() if os.environ.get(KEY_ENV, "").strip() else None


def reverify(directory: Path, manifest: Manifest, source_url: str | None, *, progress: Progress,
             jobs: int | None = None, event: Event | None = None) -> ReverifyResult:
    """``verify``: every gate again against the source, the signature checked, the report rewritten and,
    when the output is authentic, signed again. Without a source, the gates that need it (leak scan,
    drift) do not run and the report is left as it is: a partial check never replaces the run's verdict.
    ``jobs``: processes searching the output for leaks (default: the cores)."""
    key = signing_key(manifest)
    if source_url is None:
        result = verify_output(directory, manifest, source=None, progress=progress, authenticate=True, key=key)
        return ReverifyResult(result=result, report_html=None, signed=False)
    warn = (lambda why: event("no_snapshot", why, as_warning=True)) if event is not None else (lambda why: None)
    with connect(source_url) as conn, shared_snapshot(conn, warn):
        result = verify_output(directory, manifest, source=conn, progress=progress, authenticate=True, key=key,
                               jobs=jobs or default_jobs())
    authentic = key is not None and not any(f.reason in (MANIFEST_TAMPERED, MANIFEST_NOT_AUTHENTICATED)
                                            for f in result.failures)
    report = build_report(directory, manifest, result)
    # The report and its signature change together: a signal between them left a report the signature no
    # longer covers, an output 'tampered' for good (never signed again). Delivered once both are written.
    with private_files(), _signals_deferred():
        paths = write_report(directory, report)
        if authentic and key is not None:   # a tampered output is never signed again
            sign(directory, key, run_id=manifest.run_id, key_id=manifest.key_id)
    return ReverifyResult(result=result, report_html=next(p for p in paths if p.suffix == ".html"),
                          signed=authentic)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block has run, then go to their handlers as usual. Python runs
    handlers in the main thread only, so this holds whatever thread the operating system picks."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, _frame: caught.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def warn_outside_foreign_keys(schema: SchemaInfo, event: Event) -> None:
    """Foreign keys into another schema cannot be followed (the copy holds one schema): said, by name."""
    found = list(schema.outside_foreign_keys)
    if found:
        where = f"schema {schema.schema_name}" if schema.schema_name else "the default schema"
        event("outside_foreign_keys", f"{len(found)} foreign key(s) point outside {where} and are not followed "
                                      f"(the copy holds {where} only; their parents are not kept): "
                                      f"{'; '.join(found)}", as_warning=True, foreign_keys=found)


def _no_tables(conn: Any, schema_name: str | None, source_url: str) -> ConfigError:
    where = f"schema {schema_name!r}" if schema_name else "the default schema"
    elsewhere = schemas_with_tables(conn)
    if not elsewhere:
        return ConfigError(f"no tables in {where} of {safe_url(source_url)}, nor in any other schema it can see",
                           hint="Check the database name in the URL, and that the user may read its tables.")
    listed = ", ".join(f"{name} ({n} table{'s' if n > 1 else ''})" for name, n in sorted(elsewhere.items()))
    first = max(elsewhere, key=lambda name: elsewhere[name])
    return ConfigError(f"no tables in {where} of {safe_url(source_url)}; tables are in: {listed}",
                       hint=f"Scan one of them with --schema, e.g. anonymiser scan URL --schema "
                            f"{shlex.quote(first)}; the draft policy records it (schema: …) for check and run.")


@dataclass
class ScanResult:
    schema: SchemaInfo            # the whole source schema
    detection: DetectionResult    # for the scanned tables (with ``update``: only those with unruled columns)
    policy_text: str              # the draft, or the updated policy
    update: Update | None = None  # with ``update``: what was added and what vanished


def scan(source_url: str, *, schema_name: str | None, sample: int, model: str | None,
         update: LoadedPolicy | None, progress: Progress, event: Event) -> ScanResult:
    """``scan``: introspect, detect, and draft a complete policy, or (``update``) add rules only for the
    columns the reviewed policy does not cover yet."""
    with connect(source_url) as conn:
        schema = introspect(conn, schema_name=schema_name)
        if not schema.tables:
            raise _no_tables(conn, schema_name, source_url)
        warn_outside_foreign_keys(schema, event)
        scope = schema
        if update is not None:
            missing = missing_columns(update.text, schema)
            scope = schema.model_copy(update={"tables": {t: schema.tables[t] for t in missing}})
        event("scan_start", f"scanning {len(scope.tables)} tables of {safe_url(source_url)} "
                            f"(up to {sample} distinct values per text column)", tables=len(scope.tables),
              sample=sample)
        detection = detect_schema(conn, scope, sample=sample, progress=progress, model=model)
    if update is not None:
        updated = update_policy(update.text, schema, detection, path=update.path)
        return ScanResult(schema=schema, detection=detection, policy_text=updated.text, update=updated)
    return ScanResult(schema=schema, detection=detection,
                      policy_text=draft_policy(schema, detection, source_hint=safe_url(source_url)))
