from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.report import build_report, write_report
from anonymiser.source.connect import SOURCE_ENV, connect, resolve_source_url
from anonymiser.verify import verify_output
from anonymiser.write.manifest import Manifest
from anonymiser.write.outdir import private_files

NAME = "verify"
HELP = f"""Re-run the output checks on DIR and rewrite its compliance report.

Gates: columns at risk, leaked values (leak scan against the source), orphaned foreign keys,
duplicates in unique columns, schema drift, identifiers re-detected in kept columns, files that
differ from manifest.json. Every failure is listed with a reason code; any failure exits 1.

The source URL comes from --source or {SOURCE_ENV}: the leak scan needs the source.

Example:

  anonymiser verify masked/ --source postgresql://app@db/prod
"""


@handles_errors
def command(
    directory: Path = typer.Argument(..., help="An output directory written by 'anonymiser run'.",
                                     show_default=False),
    source: str | None = typer.Option(None, "--source", "-s", help=f"Source database URL (or {SOURCE_ENV})."),
) -> None:

    manifest = Manifest.read(directory)
    url = resolve_source_url(source, None)
    console = output()
    with connect(url) as conn, console.progress() as progress:
        result = verify_output(directory, manifest, source=conn, progress=progress)
    with private_files():
        paths = write_report(directory, build_report(directory, manifest, result))
    html = next(p for p in paths if p.suffix == ".html")
    if console.json:
        console.result({"event": "verified", "out": str(directory), "verdict": result.verdict,
                          "report": str(html),
                          "failures": [f.model_dump(exclude_none=True) for f in result.failures]})
    else:
        colour = "green" if result.passed else "red"
        console.out.print(f"Verification: [bold {colour}]{result.verdict}[/]")
        for failure in result.failures:
            console.out.print(f"  - [{failure.reason}] {failure.message}", markup=False)
        console.out.print(f"Compliance report: {html}")
    if not result.passed:
        raise typer.Exit(1)
