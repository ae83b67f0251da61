"""The masked dataset a test run loads: its manifest, and the verification verdict that gates it."""

from __future__ import annotations

import json
from pathlib import Path

from anonymiser.errors import ConfigError
from anonymiser.load import check_files
from anonymiser.write.manifest import Manifest

REPORT_JSON = Path("report") / "report.json"
ALLOW_FAILED = "--anonymiser-allow-failed"


def verdict_of(directory: Path) -> str | None:
    """PASS or FAIL from the dataset's report, or None when it has no readable verdict."""
    path = directory / REPORT_JSON
    try:
        verdict = json.loads(path.read_text(encoding="utf-8")).get("verdict")
    except (OSError, ValueError, AttributeError):
        return None
    return verdict if verdict in ("PASS", "FAIL") else None


def open_dataset(directory: Path, *, allow_failed: bool) -> Manifest:
    """The manifest of a complete dataset whose verification passed (or ``allow_failed``)."""
    if not directory.is_dir():
        raise ConfigError(f"the anonymiser dataset {directory} does not exist",
                          hint="Point --anonymiser-dataset (or the ini key anonymiser_dataset) at the output "
                               "directory of 'anonymiser run' (it holds manifest.json).")
    manifest = Manifest.read(directory)
    check_files(directory, manifest)
    verdict = verdict_of(directory)
    if verdict != "PASS" and not allow_failed:
        reason = ("its verification verdict is FAIL" if verdict == "FAIL"
                  else f"it has no verification verdict ({REPORT_JSON} is missing or unreadable)")
        raise ConfigError(
            f"refusing the dataset {directory}: {reason}, so it may hold personal data",
            hint=f"Read {directory / 'report' / 'report.html'}, fix the policy and re-run 'anonymiser run'. "
                 f"To load it anyway into these throw-away databases, pass {ALLOW_FAILED}.",
        )
    return manifest
