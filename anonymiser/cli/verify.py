from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.errors import VerificationFailed
from anonymiser.pipeline import reverify
from anonymiser.source.connect import SOURCE_ENV, resolve_source_url
from anonymiser.write.manifest import Manifest

NAME = "verify"
HELP = f"""Re-run the output checks on DIR and rewrite its compliance report.

Gates: columns at risk, leaked values (leak scan against the source), orphaned foreign keys,
duplicates in unique columns, schema drift, identifiers re-detected in kept columns, files that
differ from manifest.json. Every failure is listed with a reason code; any failure exits 1.

The source URL comes from --source or {SOURCE_ENV}: the leak scan needs the source.

It also checks manifest.sig, the run's HMAC over manifest.json, policy.yaml and report.json
(which hold the sha256 of every data file) under a key derived from ANONYMISER_KEY: any edit to
the output fails with reason manifest_tampered. Without ANONYMISER_KEY that check cannot run and the
verdict is FAIL (manifest_not_authenticated).

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
    if manifest.demo_key:
        console.warn("this output was made by 'anonymiser demo' with the public demo key: its signature "
                     "shows it is unchanged, but anyone could have made it")
    with console.progress() as progress:
        done = reverify(directory, manifest, url, progress=progress)
    result = done.result
    if console.json:
        console.result({"event": "verified", "out": str(directory), "verdict": result.verdict,
                        "report": str(done.report_html),
                        "failures": [f.model_dump(exclude_none=True) for f in result.failures]})
    else:
        colour = "green" if result.passed else "red"
        console.out.print(f"Verification: [bold {colour}]{result.verdict}[/]")
        for failure in result.failures:
            console.out.print(f"  - [{failure.reason}] {failure.message}", markup=False)
        console.out.print(f"Compliance report: {done.report_html}")
    if not result.passed:
        raise VerificationFailed(f"verification failed: {len(result.failures)} problem(s)",
                                 hint="The report lists each failed gate and what to do about it.")
