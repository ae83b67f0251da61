"""The masked dataset a test run loads: its manifest, and the verification verdict that gates it."""

from __future__ import annotations

from pathlib import Path

from anonymiser.errors import ConfigError
from anonymiser.load import REPORT_JSON, check_files, verdict_of
from anonymiser.write.manifest import Manifest

ALLOW_FAILED = "--anonymiser-allow-failed"


def open_dataset(directory: Path, *, allow_failed: bool) -> Manifest:
    """The manifest of a complete dataset whose verification passed (or ``allow_failed``)."""
    if not directory.is_dir():
        raise ConfigError(f"the anonymiser dataset {directory} does not exist",
                          hint="Point --anonymiser-dataset (or the ini key anonymiser_dataset) at the output "
                               "directory of 'anonymiser run' (it holds manifest.json).")
    manifest = Manifest.read(directory)
    check_files(directory, manifest)
    verdict, reasons = verdict_of(directory)
    if verdict != "PASS" and not allow_failed:
        # load_dataset's own refusal (require_verified) names its CLI flag; the plugin names its option.
        why = (f"its verification verdict is FAIL ({', '.join(reasons) or 'see the report'})" if verdict == "FAIL"
               else f"it has no verification verdict ({REPORT_JSON} is missing or unreadable)")
        raise ConfigError(
            f"refusing the dataset {directory}: {why}, so it may hold personal data",
            hint=f"Read {directory / 'report' / 'report.html'}, fix the policy and re-run 'anonymiser run'. "
                 f"To load it anyway into these throw-away databases, pass {ALLOW_FAILED}.",
        )
    return manifest
