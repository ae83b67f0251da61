"""Verify a written output: every gate runs, every failure is collected with a reason code.

Gates (each a figure that must be 0):
- ``at_risk``: columns detected as personal and kept unmasked without a recorded reason;
- ``leaks``: source values of masked columns found in the output (see ``leaks.py`` for the
  method: keyed hash sets, identifier vs dictionary values, same-row check, free-text n-grams);
- ``orphans``: child rows whose parent is missing (composite keys included);
- ``duplicates``: repeated values in column sets that are unique in the source;
- ``drift``: source columns with no rule (needs the source);
- ``redetection``: identifiers the detectors find in kept output columns;
- ``files``: output files that differ from ``manifest.json``.

Without a source connection the leak scan and the drift check cannot run: that is not proof, so
the verdict is FAIL with reason ``leak_scan_not_run``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from anonymiser.source.introspect import introspect
from anonymiser.verify import coverage, integrity, leaks, outputs, redetect
from anonymiser.verify.model import GATE_TITLES, NOT_VERIFIED, Failure, Gate, LeakScan, VerifyResult
from anonymiser.write.manifest import Manifest

if TYPE_CHECKING:
    import sqlalchemy as sa


__all__ = ["VerifyResult", "verify_output"]

Progress = Callable[[str, int, int | None], None]


def verify_output(directory: Path, manifest: Manifest, *, source: sa.Connection | None,
                  progress: Progress | None = None) -> VerifyResult:
    """Run every gate on ``directory`` (an output written for ``manifest``); never raises on a failed gate."""
    directory = Path(directory)
    failures: list[Failure] = []
    figures: dict[str, int | None] = {}

    files_checked, found = outputs.check_files(directory, manifest)
    failures += found
    figures["files"] = len(found)

    at_risk_columns, found = coverage.at_risk(manifest)
    failures += found
    figures["at_risk"] = len(at_risk_columns)

    fk_checks, found = integrity.check_foreign_keys(directory, manifest)
    failures += found
    figures["orphans"] = sum(c.orphans for c in fk_checks)

    unique_checks, found = integrity.check_unique(directory, manifest)
    failures += found
    figures["duplicates"] = sum(c.duplicates for c in unique_checks)

    unruled: list[str] = []
    if source is not None:
        source_schema = introspect(source, manifest.schema_.schema_name or manifest.policy.get("schema"))
        unruled, found = coverage.drift(manifest, source_schema)
        failures += found
        figures["drift"] = len(unruled)
        scan, found = leaks.scan(directory, manifest, source, source_schema, progress)
        failures += found
        figures["leaks"] = scan.leaks + scan.unchanged
    else:
        scan = LeakScan(ran=False)
        figures["drift"] = figures["leaks"] = None
        failures.append(Failure(reason=NOT_VERIFIED, gate="leaks", count=0,
                                message="no source connection: the leak scan and the drift check did not run"))

    redetection, found = redetect.redetect(directory, manifest)
    failures += found
    figures["redetection"] = len({(f.table, f.column) for f in found}) if redetection.ran else None

    gates = [_gate(gate_id, figures.get(gate_id), failures) for gate_id in GATE_TITLES]
    gates[-1].detail = f"{files_checked} file(s) checked against their sha256"
    return VerifyResult(
        verified_at=datetime.now(UTC).isoformat(timespec="seconds"),
        source_checked=source is not None,
        passed=not failures,
        gates=gates,
        failures=failures,
        foreign_keys=fk_checks,
        unique=unique_checks,
        leak_scan=scan,
        redetection=redetection,
        unruled_columns=unruled,
        at_risk_columns=at_risk_columns,
    )


def _gate(gate_id: str, figure: int | None, failures: list[Failure]) -> Gate:
    failed = any(f.gate == gate_id for f in failures)
    status = "fail" if failed else ("not_run" if figure is None else "pass")
    return Gate(id=gate_id, title=GATE_TITLES[gate_id], figure=figure, status=status)  # type: ignore[arg-type]
