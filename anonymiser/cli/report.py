from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.errors import ConfigError, OutputTampered
from anonymiser.mask.keys import KEY_ENV
from anonymiser.pipeline import signing_key
from anonymiser.report import read_report, render_from_json
from anonymiser.verify.tamper import tamper_failures
from anonymiser.write.manifest import Manifest
from anonymiser.write.outdir import private_files
from anonymiser.write.signature import SIGNATURE_NAME

NAME = "report"
HELP = f"""Re-render the compliance report (HTML, Markdown) from DIR/report/report.json.

The data is not re-checked (use 'anonymiser verify DIR --source URL' for that), but report.json,
manifest.json and policy.yaml must be exactly what the run signed in {SIGNATURE_NAME}: an edited
output is refused (exit 1, reason manifest_tampered), never rendered as the run's report. Checking the
signature needs the run's key in {KEY_ENV} (exit 2 without it).

Example:

  anonymiser report masked/
"""


def authenticate(directory: Path, manifest: Manifest) -> None:
    """Refuse an output whose signed files (manifest.json, policy.yaml, report.json) are not the run's."""
    key = signing_key(manifest)
    if key is None:
        raise ConfigError(f"{KEY_ENV} is not set: {directory / SIGNATURE_NAME} cannot be checked, so "
                          "report.json cannot be shown to be the run's",
                          hint=f"Export the run's key in {KEY_ENV} and try again; the report.html the run wrote "
                               "is still there.")
    failures = tamper_failures(directory, manifest, key, [])
    if failures:
        problems = "; ".join(f.message for f in failures)
        raise OutputTampered(f"refusing to render {directory}: {problems}",
                             hint="The output was edited after the run signed it (or another key is set). Run "
                                  "'anonymiser run' again to make a trustworthy output, or 'anonymiser verify "
                                  "DIR --source URL' to see every failed check.")


@handles_errors
def command(
    directory: Path = typer.Argument(..., help="An output directory holding report/report.json.",
                                     show_default=False),
) -> None:

    report = read_report(directory)
    authenticate(directory, Manifest.read(directory))
    with private_files():
        paths = render_from_json(directory, report)
    if output().json:
        output().result({"event": "report_rendered", "files": [str(p) for p in paths]})
        return
    for path in paths:
        output().out.print(f"wrote {path}")
