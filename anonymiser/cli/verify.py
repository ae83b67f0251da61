from __future__ import annotations

import os
from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.mask.keys import DEMO_KEY, KEY_ENV, key_from_env
from anonymiser.report import build_report, write_report
from anonymiser.source.connect import SOURCE_ENV, connect, resolve_source_url
from anonymiser.verify import verify_output
from anonymiser.verify.model import MANIFEST_NOT_AUTHENTICATED, MANIFEST_TAMPERED
from anonymiser.write.manifest import Manifest
from anonymiser.write.outdir import private_files
from anonymiser.write.signature import sign

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
    key = _signing_key(manifest.demo_key)
    with connect(url) as conn, console.progress() as progress:
        result = verify_output(directory, manifest, source=conn, progress=progress, authenticate=True, key=key)
    authentic = key is not None and not any(f.reason in (MANIFEST_TAMPERED, MANIFEST_NOT_AUTHENTICATED)
                                            for f in result.failures)
    with private_files():
        paths = write_report(directory, build_report(directory, manifest, result))
        if authentic and key is not None:   # the new report signed again; a tampered output never is
            sign(directory, key, run_id=manifest.run_id, key_id=manifest.key_id)
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


def _signing_key(demo: bool) -> bytes | None:
    """The run's key: ANONYMISER_KEY (None when unset), or the public demo key for a demo output."""
    if demo:
        output().warn("this output was made by 'anonymiser demo' with the public demo key: its signature "
                      "shows it is unchanged, but anyone could have made it")
        return DEMO_KEY
    return key_from_env() if os.environ.get(KEY_ENV, "").strip() else None
