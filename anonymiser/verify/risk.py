"""The residual-risk gate: records the policy's quasi-identifiers leave below its k target.

Measured on the output, per table (records sharing all quasi-identifier values, NULL a value of its
own, form an equivalence class; a record in a class smaller than ``report.k_target`` is below
target). Any record below target fails the gate, unless the policy records an explicit acceptance
(``report.risk_acceptance`` with a reviewer and a reason): the gate is then ``accepted`` and the
report shows who accepted it and why beside the figure. An acceptance with
``max_share_below_k_target`` covers no more than that share: a run that leaves more fails again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from anonymiser.lazy import lazy_import
from anonymiser.verify.model import K_BELOW_TARGET, Failure
from anonymiser.verify.outputs import read_columns
from anonymiser.write.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)


@dataclass
class QuasiTable:
    table: str
    quasi: list[str]                 # declared quasi-identifiers present in the output
    sensitive: list[str]             # declared sensitive attributes present in the output
    missing: list[str]               # declared quasi-identifiers not in the output (dropped, excluded)
    frame: pd.DataFrame | None       # those columns of the output (None when no quasi-identifier is present)


def class_sizes(frame: pd.DataFrame, quasi: list[str]) -> pd.Series:
    """Size of each equivalence class (vectorised groupby; NULL is a value of its own)."""
    return frame.groupby(quasi, dropna=False, sort=False, observed=True).size()


def quasi_tables(directory: Path, manifest: Manifest) -> Iterator[QuasiTable]:
    """Per table with declared quasi-identifiers, in name order, the output columns the risk is measured on."""
    by_table: dict[str, list[str]] = {}
    for table, column in sorted(manifest.policy.declared("quasi_identifiers")):
        by_table.setdefault(table, []).append(column)
    sensitive = manifest.policy.declared("sensitive_attributes")
    for table, columns in sorted(by_table.items()):
        info = manifest.schema_.tables.get(table)
        present = [c for c in columns if info is not None and c in info.column_names]
        missing = [c for c in columns if c not in present]
        attrs = sorted(c for t, c in sensitive if t == table and info is not None and c in info.column_names)
        frame = read_columns(directory, manifest, table, present + attrs).to_pandas() if present else None
        yield QuasiTable(table, present, attrs, missing, frame)


@dataclass
class RiskOutcome:
    below: int | None                # records below the k target, all tables (None: not measured)
    detail: str = ""                 # per table, and who accepted it
    accepted: bool = False           # records below target, all covered by the policy's acceptance


def gate(directory: Path, manifest: Manifest) -> tuple[RiskOutcome, list[Failure]]:
    k_target, accepted = manifest.policy.report.k_target, manifest.policy.report.risk_acceptance
    below_total, failures, parts = 0, [], []
    for q in quasi_tables(directory, manifest):
        if q.frame is None or not len(q.frame):
            continue
        sizes = class_sizes(q.frame, q.quasi)
        below = int(sizes[sizes < k_target].sum())
        below_total += below
        if not below:
            continue
        share = below / len(q.frame)
        parts.append(f"{q.table}: {below:,} of {len(q.frame):,} records ({share:.1%}) below k = {k_target}, "
                     f"k = {int(sizes.min())}")
        covered = accepted is not None and (accepted.max_share_below_k_target is None
                                            or share <= accepted.max_share_below_k_target)
        if covered:
            continue
        message = (f"{below:,} of {len(q.frame):,} records ({share:.1%}) of {q.table} share their combination of "
                   f"{', '.join(q.quasi)} with fewer than {k_target - 1} other record(s) (k = {int(sizes.min())}, "
                   f"target {k_target})")
        if accepted is not None:
            message += (f"; the policy's risk acceptance covers at most "
                        f"{accepted.max_share_below_k_target:.1%}")
        else:
            message += ("; generalise or suppress a quasi-identifier (date → year, postcode → region), or record a "
                        "reviewer's acceptance under report.risk_acceptance (reviewer, reason)")
        failures.append(Failure(reason=K_BELOW_TARGET, gate="residual_risk", table=q.table,
                                column=",".join(q.quasi), count=below, message=message))
    detail = "; ".join(parts)
    is_accepted = bool(parts) and not failures and accepted is not None
    if is_accepted:
        assert accepted is not None
        when = f" on {accepted.date.isoformat()}" if accepted.date else ""
        detail += f". Accepted by {accepted.reviewer}{when}: {accepted.reason}"
    return RiskOutcome(below_total, detail, is_accepted), failures
