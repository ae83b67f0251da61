from __future__ import annotations

import os
from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.errors import VerificationFailed
from anonymiser.pipeline import reverify
from anonymiser.source.connect import SOURCE_ENV, resolve_source_url
from anonymiser.verify.model import NOT_VERIFIED
from anonymiser.write.manifest import Manifest

NAME = "verify"
HELP = f"""Re-run the output checks on DIR and rewrite its compliance report.

Gates: columns at risk, leaked values (leak scan against the source), orphaned foreign keys,
duplicates in unique columns, schema drift, identifiers re-detected in kept columns, files that
differ from manifest.json. Every failure is listed with a reason code; any failure exits 1.

The source URL comes from --source or {SOURCE_ENV}. Without one, every check that needs only the
output runs (files and signature, columns at risk, orphans, duplicates, re-detection, residual
risk); the leak scan and the drift check are skipped and named as skipped, and the report is left
as the run wrote it (a partial check never replaces its verdict). The verdict is then INCOMPLETE:
exit 0 when every check that ran passed, 1 when one failed.

It also checks manifest.sig, the run's HMAC over manifest.json, policy.yaml and report.json
(which hold the sha256 of every data file) under a key derived from ANONYMISER_KEY: any edit to
the output fails with reason manifest_tampered. Without ANONYMISER_KEY that check cannot run and the
verdict is FAIL (manifest_not_authenticated).

Example:

  anonymiser verify masked/ --source postgresql://app@db/prod
"""

NEEDS_SOURCE = ("leaks", "drift")   # the gates that compare the output with the source
SKIPPED_WHY = f"they need the source database (--source or {SOURCE_ENV})"


@handles_errors
def command(
    directory: Path = typer.Argument(..., help="An output directory written by 'anonymiser run'.",
                                     show_default=False),
    source: str | None = typer.Option(None, "--source", "-s", help=f"Source database URL (or {SOURCE_ENV}); "
                                      "without it the leak scan and the drift check are skipped."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, show_default=False,
                                    help="Processes searching the output for leaks. Default: the number of cores. "
                                         "The findings are the same whatever the number."),
) -> None:

    manifest = Manifest.read(directory)
    url = resolve_source_url(source, None) if source or os.environ.get(SOURCE_ENV) else None
    console = output()
    if manifest.demo_key:
        console.warn("this output was made by 'anonymiser demo' with the public demo key: its signature "
                     "shows it is unchanged, but anyone could have made it")
    if url is None:
        console.event("verify_without_source", f"no source given: the leak scan and the drift check are skipped "
                      f"({SKIPPED_WHY}); the report is left as the run wrote it", as_warning=True,
                      skipped=list(NEEDS_SOURCE))
    with console.progress() as progress:
        done = reverify(directory, manifest, url, progress=progress, jobs=jobs, event=console.event)
    result = done.result
    failures = [f for f in result.failures if url is not None or f.reason != NOT_VERIFIED]
    skipped = list(NEEDS_SOURCE) if url is None else []
    verdict = result.verdict if url is not None else ("FAIL" if failures else "INCOMPLETE")
    if console.json:
        extra = {"skipped": [{"gate": g, "why": SKIPPED_WHY} for g in skipped]} if url is None else {}
        console.result({"event": "verified", "out": str(directory), "verdict": verdict,
                        "report": str(done.report_html) if done.report_html else None, **extra,
                        "failures": [f.model_dump(exclude_none=True) for f in failures]})
    else:
        colour = {"PASS": "green", "INCOMPLETE": "yellow"}.get(verdict, "red")
        console.out.print(f"Verification: [bold {colour}]{verdict}[/]")
        for failure in failures:
            console.out.print(f"  - [{failure.reason}] {failure.message}", markup=False)
        if url is None:
            ran = [g.id for g in result.gates if g.id not in skipped and g.status != "not_run"]
            console.out.print(f"  checked: {', '.join(ran)}", markup=False)
            console.out.print(f"  skipped: {', '.join(skipped)} ({SKIPPED_WHY})", markup=False)
            console.out.print("Compliance report: not rewritten (the run's full verification stands)")
        else:
            console.out.print(f"Compliance report: {done.report_html}")
    if failures:
        raise VerificationFailed(f"verification failed: {len(failures)} problem(s)",
                                 hint="The report lists each failed gate and what to do about it." if url else
                                 "Each failed check is listed above; run again with --source for the full check "
                                 "and an updated report.")

