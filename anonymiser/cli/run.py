from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from anonymiser.cli.common import handles_errors, output
from anonymiser.errors import VerificationFailed
from anonymiser.mask.keys import KEY_ENV, key_forms, key_from_env
from anonymiser.pipeline import RunResult, run, run_options
from anonymiser.policy import load_policy
from anonymiser.policy.load import LoadedPolicy

NAME = "run"
HELP = f"""Subset, mask, write, verify and report: the monthly masked refresh.

Needs {KEY_ENV} (from 'anonymiser keygen'); refuses to start without it. The output appears at
--out only when complete (built in a hidden sibling directory, then renamed); a failed verification
still writes it, with the report saying FAIL, and exits 1.

Examples:

  anonymiser run policy.yaml --source postgresql://app@db/prod --out masked/

  anonymiser run policy.yaml --out masked/ --format parquet,sql --dialect postgresql,mysql
"""

@handles_errors
def command(
    policy: Path = typer.Argument(..., help="The policy YAML file.", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (created or replaced atomically)."),
    source: str | None = typer.Option(None, "--source", "-s", help="Source database URL (or ANONYMISER_SOURCE_URL)."),
    formats: str = typer.Option("parquet", "--format", help="Comma-separated: parquet, sql."),
    dialect: str | None = typer.Option(None, "--dialect",
                                       help="SQL dump dialect(s), comma-separated: postgresql, mysql, sqlite. "
                                            "Default: the source's."),
    chunk_rows: int = typer.Option(50_000, "--chunk-rows", min=100, help="Rows per chunk (bounds memory)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, show_default=False,
                                    help="Processes masking tables and chunks in parallel. Default: the number of "
                                         "cores. The output is the same byte for byte whatever the number."),
) -> None:

    key = key_from_env()  # first: without a key nothing is read and nothing is written
    loaded = load_policy(policy)
    loaded.refuse_secret(key_forms(), KEY_ENV)
    run_and_report(loaded, source, out, formats=formats, dialect=dialect, chunk_rows=chunk_rows, key=key, jobs=jobs)


def run_and_report(loaded: LoadedPolicy, source: str | None, out: Path, *, formats: str, dialect: str | None,
                   chunk_rows: int, key: bytes, demo_key: bool = False, jobs: int | None = None) -> RunResult:
    options = run_options(loaded, source=source, out=out, key=key, formats=formats, dialect=dialect,
                          chunk_rows=chunk_rows, jobs=jobs, demo_key=demo_key)
    console = output()
    with console.progress() as progress:
        result = run(loaded, options, progress=progress, event=console.event)
    _summary(result)
    if not result.passed:
        raise VerificationFailed(f"verification failed: {len(result.failures)} problem(s); the output and its "
                                 f"report were written to {result.out_dir} with verdict FAIL",
                                 hint="Read the report's failed gates, fix the policy or the source, and run again.")
    return result


def _table_summary(result: RunResult) -> None:
    table = Table("table", "source rows", "output rows", "kept", box=None, pad_edge=False)
    for name in result.manifest.load_order:
        entry = result.manifest.tables[name]
        source = entry.source_rows
        share = f"{entry.rows / source:.0%}" if source else "-"
        table.add_row(name, f"{source:,}" if source is not None else "?", f"{entry.rows:,}", share)
    output().out.print(table)


def _summary(result: RunResult) -> None:
    console = output()
    manifest = result.manifest
    rows = sum(t.rows for t in manifest.tables.values())
    report = result.out_dir / "report" / "report.html"
    verdict = "PASS" if result.passed else "FAIL"
    if console.json:
        console.result({"event": "finished", "out": str(result.out_dir), "verdict": verdict,
                          "tables": len(manifest.tables), "rows": rows, "key_id": manifest.key_id,
                          "run_id": manifest.run_id,
                          "failures": [f"{f.reason}: {f.message}" for f in result.failures],
                          "table_rows": {t: {"rows": e.rows, "source_rows": e.source_rows}
                                         for t, e in manifest.tables.items()}})
        return
    if not console.quiet:
        _table_summary(result)
    console.out.print(f"Masked copy written to {result.out_dir} ({len(manifest.tables)} tables, {rows:,} rows, "
                      f"key id {manifest.key_id}).")
    if report.exists():
        console.out.print(f"Compliance report: {report}")
    colour = "green" if result.passed else "red"
    console.out.print(f"Verification: [bold {colour}]{verdict}[/]")
    for failure in result.failures:     # as `verify` lists them
        console.out.print(f"  - [{failure.reason}] {failure.message}", markup=False)
