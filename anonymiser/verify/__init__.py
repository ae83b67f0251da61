"""Verify a written output: every gate runs, every failure is collected with a reason code.

Gates (each a figure that must be 0):
- ``at_risk``: columns detected as personal and kept unmasked without a recorded reason;
- ``leaks``: source values of masked columns found in the output (see ``leaks.py`` for the
  method: keyed hash sets, identifier vs dictionary values, same-row check, free-text n-grams);
- ``orphans``: child rows whose parent is missing (composite keys included);
- ``duplicates``: repeated values in column sets that are unique in the source;
- ``drift``: source columns with no rule (needs the source);
- ``redetection``: identifiers the detectors find in kept output columns;
- ``residual_risk``: records below the policy's k target on its quasi-identifiers, unless the policy
  records a reviewer's acceptance (status ``accepted``; see ``risk.py``);
- ``files``: output files that differ from ``manifest.json``.

Without a source connection the leak scan and the drift check cannot run: that is not proof, so
the verdict is FAIL with reason ``leak_scan_not_run``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import pyarrow as pa

from anonymiser import forked
from anonymiser.errors import DetectError
from anonymiser.progress import Progress
from anonymiser.source.introspect import introspect
from anonymiser.verify import coverage, integrity, leaks, outputs, redetect, risk, tamper
from anonymiser.verify.model import (
    DETECTOR_UNAVAILABLE,
    GATE_TITLES,
    NOT_VERIFIED,
    UNREADABLE_OUTPUT,
    Failure,
    ForeignKeyCheck,
    Gate,
    LeakScan,
    RedetectionSummary,
    UniqueCheck,
    VerifyResult,
)
from anonymiser.write.manifest import Manifest, timestamp

if TYPE_CHECKING:
    import sqlalchemy as sa


__all__ = ["VerifyResult", "verify_output"]

T = TypeVar("T")


def verify_output(directory: Path, manifest: Manifest, *, source: sa.Connection | None,
                  progress: Progress | None = None, authenticate: bool = False,
                  key: bytes | None = None, jobs: int = 1,
                  sql_dumps: Callable[[], None] | None = None) -> VerifyResult:
    """Run every gate on ``directory`` (an output written for ``manifest``); never raises on a failed gate.

    ``authenticate``: also check ``manifest.sig`` with ``key`` (``verify``; a run has just written it).
    ``jobs``: processes searching the output for leaks (the findings do not depend on it); with 2 or more, the
    re-detection, and the foreign-key and unique checks, run in forked processes of their own beside the other
    gates (the failures are listed in the same order).
    ``sql_dumps``: the run's SQL dumps are being written beside the verification: called (it waits until they are
    written and in ``manifest.sql_files``) before their files are checked, last; the findings are the same."""
    directory = Path(directory)

    def redetection() -> tuple[RedetectionSummary, list[Failure]]:
        return redetect.redetect(directory, manifest)

    def integrity_checks() -> tuple[_Outcome[list[ForeignKeyCheck]], _Outcome[list[UniqueCheck]]]:
        return (_outcome(lambda: integrity.check_foreign_keys(directory, manifest)),
                _outcome(lambda: integrity.check_unique(directory, manifest)))

    with _beside(redetection, jobs) as redetected, _beside(integrity_checks, jobs) as integrity_checked:
        return _verify_output(directory, manifest, source=source, progress=progress, authenticate=authenticate,
                              key=key, jobs=jobs, sql_dumps=sql_dumps, redetected=redetected,
                              integrity_checked=integrity_checked)


# A gate's result, or the unreadable-file error it raised (OSError, ArrowException: the caller's ``_Guard`` judges).
_Outcome: TypeAlias = tuple[T, list[Failure]] | Exception


def _outcome(check: Callable[[], tuple[T, list[Failure]]]) -> _Outcome[T]:
    try:
        return check()
    except (OSError, pa.ArrowException) as exc:
        return exc


def _unwrapped(outcome: _Outcome[T]) -> tuple[T, list[Failure]]:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@contextmanager
def _beside(check: Callable[[], T], jobs: int) -> Iterator[Callable[[], T]]:
    """A check run by a forked process while the other gates run, when there are ``jobs`` > 1 (its result, or what
    it raised, comes when asked for); else the check itself, run when asked for."""
    if jobs < 2 or not forked.can_fork():
        yield check
        return
    with forked.beside(check) as result:
        yield result


def _verify_output(directory: Path, manifest: Manifest, *, source: sa.Connection | None, progress: Progress | None,
                   authenticate: bool, key: bytes | None, jobs: int, sql_dumps: Callable[[], None] | None,
                   redetected: Callable[[], tuple[RedetectionSummary, list[Failure]]],
                   integrity_checked: Callable[[], tuple[_Outcome[list[ForeignKeyCheck]],
                                                         _Outcome[list[UniqueCheck]]]]) -> VerifyResult:
    failures: list[Failure] = []
    figures: dict[str, int | None] = {}
    assert sql_dumps is None or not authenticate, "a run's own verification is not authenticated"

    files_checked, found = outputs.check_files(directory, manifest, sql=sql_dumps is None)
    if authenticate:
        found += tamper.tamper_failures(directory, manifest, key, found)
    failures += found
    files_failed = figures["files"] = len(found)

    at_risk_columns, found = coverage.at_risk(manifest)
    failures += found
    figures["at_risk"] = len(at_risk_columns)

    late: list[tuple[int, list[Failure]]] = []

    def dumps_checked() -> tuple[int, list[Failure]]:
        """The SQL dumps' files (written beside the verification), checked once they are written."""
        if not late:
            assert sql_dumps is not None
            sql_dumps()
            late.append(outputs.check_files(directory, manifest, tables=False))
        return late[0]

    # A data file that fails its checksum may not even parse: its gates then fail, they do not crash.
    guard = _Guard(failures, damaged=lambda: bool(files_failed) or (sql_dumps is not None and
                                                                    bool(dumps_checked()[1])))
    integrity_at = len(failures)     # where the orphans' and duplicates' failures go (they come in later)

    unruled: list[str] = []
    if source is not None:
        source_schema = introspect(source, manifest.schema_.schema_name or manifest.policy.schema_name)
        unruled, found = coverage.drift(manifest, source_schema)
        failures += found
        figures["drift"] = len(unruled)
        scan, found = guard.run("leaks", lambda: leaks.scan(directory, manifest, source, source_schema, progress, jobs),
                                LeakScan(ran=False))
        failures += found
        figures["leaks"] = scan.leaks + scan.unchanged if "leaks" not in guard.failed else None
    else:
        scan = LeakScan(ran=False)
        figures["drift"] = figures["leaks"] = None
        failures.append(Failure(reason=NOT_VERIFIED, gate="leaks", count=0,
                                message="no source connection: the leak scan and the drift check did not run"))

    # The foreign-key and unique checks (beside the leak scan with 2 jobs or more): their failures where they
    # were listed when they ran first.
    fk_outcome, unique_outcome = integrity_checked()
    integrity_failures: list[Failure] = []
    integrity_guard = _Guard(integrity_failures, damaged=guard.damaged)
    no_fk_checks: list[ForeignKeyCheck] = []
    no_unique_checks: list[UniqueCheck] = []
    fk_checks, found = integrity_guard.run("orphans", lambda: _unwrapped(fk_outcome), no_fk_checks)
    integrity_failures += found
    figures["orphans"] = sum(c.orphans for c in fk_checks) if "orphans" not in integrity_guard.failed else None
    unique_checks, found = integrity_guard.run("duplicates", lambda: _unwrapped(unique_outcome), no_unique_checks)
    integrity_failures += found
    figures["duplicates"] = sum(c.duplicates for c in unique_checks) \
        if "duplicates" not in integrity_guard.failed else None
    failures[integrity_at:integrity_at] = integrity_failures

    try:
        redetection, found = guard.run("redetection", redetected, RedetectionSummary(ran=False))
    except (DetectError, ImportError) as exc:   # no detector is no proof: the gate fails, it is not skipped
        why = exc.message if isinstance(exc, DetectError) else f"{type(exc).__name__}: {exc.name or 'a module'}"
        redetection, found = RedetectionSummary(ran=False), [Failure(
            reason=DETECTOR_UNAVAILABLE, gate="redetection", count=1,
            message=f"the pattern recognizers could not be loaded ({why}): kept columns were not re-checked")]
    failures += found
    figures["redetection"] = len({(f.table, f.column) for f in found}) if redetection.ran else None

    risk_outcome, found = guard.run("residual_risk", lambda: risk.gate(directory, manifest),
                                    risk.RiskOutcome(below=None))
    failures += found
    figures["residual_risk"] = risk_outcome.below

    if sql_dumps is not None:   # their failures go where a check of every file at once puts them: after the tables'
        checked, found = dumps_checked()
        files_checked += checked
        failures[files_failed:files_failed] = found
        figures["files"] = files_failed + len(found)

    gates = [_gate(gate_id, figures.get(gate_id), failures) for gate_id in GATE_TITLES]
    gates[-1].detail = f"{files_checked} file(s) checked against their sha256"
    risk_gate = next(g for g in gates if g.id == "residual_risk")
    risk_gate.detail = risk_outcome.detail
    if risk_outcome.accepted and risk_gate.status == "pass":
        risk_gate.status = "accepted"
    return VerifyResult(
        verified_at=timestamp(),
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


class _Guard:
    """Runs a gate that reads the data files; when a file already failed its checksum and cannot be read,
    the gate fails with reason ``unreadable_output`` instead of raising."""

    def __init__(self, failures: list[Failure], *, damaged: Callable[[], bool]) -> None:
        self.failures, self.damaged, self.failed = failures, damaged, set[str]()

    def run(self, gate: str, check: Callable[[], tuple[T, list[Failure]]], fallback: T) -> tuple[T, list[Failure]]:
        try:
            return check()
        except (OSError, pa.ArrowException):
            if not self.damaged():
                raise
            self.failed.add(gate)
            self.failures.append(Failure(reason=UNREADABLE_OUTPUT, gate=gate, count=1,  # type: ignore[arg-type]
                                         message="a damaged output file could not be read: this check did not run"))
            return fallback, []


def _gate(gate_id: str, figure: int | None, failures: list[Failure]) -> Gate:
    failed = any(f.gate == gate_id for f in failures)
    status = "fail" if failed else ("not_run" if figure is None else "pass")
    return Gate(id=gate_id, title=GATE_TITLES[gate_id], figure=figure, status=status)  # type: ignore[arg-type]
