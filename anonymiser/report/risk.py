"""Residual re-identification risk on the policy's quasi-identifiers, measured on the output.

Records below the k target fail verification (``verify/risk.py``) unless the policy records a
reviewer's acceptance; the acceptance is shown beside each figure it covers.

With f = size of each equivalence class (records sharing all quasi-identifier values, NULL counted
as a value) and n = records: k = min f; share below k target = records in classes with f < k
target / n; uniqueness = records with f = 1 / n; l-diversity of a sensitive attribute = min
distinct values per class; prosecutor risk max = 1 / k, average = classes / n.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from anonymiser.lazy import lazy_import
from anonymiser.report.model import ClassSizeBucket, RiskSection, RiskTable
from anonymiser.verify.risk import class_sizes, quasi_tables
from anonymiser.write.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)

BUCKETS = ((1, 1, "1 (unique)"), (2, 2, "2"), (3, 4, "3–4"), (5, 9, "5–9"), (10, 99, "10–99"), (100, None, "100+"))


def measure(frame: pd.DataFrame, table: str, quasi: list[str], sensitive: list[str], k_target: int) -> RiskTable:
    n = len(frame)
    if n == 0:
        return RiskTable(table=table, quasi_identifiers=quasi, sensitive_attributes=sensitive, records=0, classes=0,
                         sentence=f"{table} has no records in the output: nothing to single out.")
    sizes = class_sizes(frame, quasi)
    k = int(sizes.min())
    below = int(sizes[sizes < k_target].sum())
    unique = int(sizes[sizes == 1].sum())
    l_div: dict[str, int] = {}
    for attr in sensitive:
        distinct = frame.groupby(quasi, dropna=False, sort=False, observed=True)[attr].nunique(dropna=False)
        l_div[attr] = int(distinct.min())
    buckets = []
    for low, high, label in BUCKETS:
        chosen = sizes[(sizes >= low) & (sizes <= high)] if high is not None else sizes[sizes >= low]
        buckets.append(ClassSizeBucket(label=label, classes=int(len(chosen)), records=int(chosen.sum())))
    table_risk = RiskTable(
        table=table, quasi_identifiers=quasi, sensitive_attributes=sensitive, records=n, classes=int(len(sizes)),
        k=k, records_below_k_target=below, share_below_k_target=round(below / n, 6),
        uniqueness=round(unique / n, 6), unique_records=unique, l_diversity=l_div,
        prosecutor_risk_max=round(1 / k, 6), prosecutor_risk_avg=round(len(sizes) / n, 6), buckets=buckets,
    )
    table_risk.sentence = sentence(table_risk, k_target)
    return table_risk


def sentence(r: RiskTable, k_target: int) -> str:
    cols = ", ".join(r.quasi_identifiers)
    if r.k is None:
        return r.sentence
    if r.k >= k_target:
        text = (f"In {r.table}, every one of the {r.records:,} records shares its combination of {cols} with at "
                f"least {r.k - 1} other record(s), so someone who knows these attributes of a person can narrow "
                f"them down to no fewer than {r.k} candidates (worst-case re-identification risk "
                f"{r.prosecutor_risk_max:.0%}, average {r.prosecutor_risk_avg:.0%}). This meets the target k = "
                f"{k_target}.")
    else:
        text = (f"In {r.table}, {r.records_below_k_target:,} of {r.records:,} records "
                f"({r.share_below_k_target:.1%}) share their combination of {cols} with fewer than {k_target - 1} "
                f"other record(s), and {r.unique_records:,} ({r.uniqueness:.1%}) are unique: someone who knows "
                f"these attributes of a person could single out their (pseudonymised) record. Worst-case "
                f"re-identification risk is {r.prosecutor_risk_max:.0%}, average {r.prosecutor_risk_avg:.0%}. "
                f"This is below the target k = {k_target}: generalise or suppress one of these columns "
                f"(e.g. date → year, postcode → region) before wider release.")
    for attr, value in r.l_diversity.items():
        if value <= 1:
            text += (f" At least one group has a single value of {attr}: knowing the quasi-identifiers reveals "
                     f"it (l = {value}).")
    return text


def residual_risk(directory: Path, manifest: Manifest) -> RiskSection:
    k_target, accepted = manifest.policy.report.k_target, manifest.policy.report.risk_acceptance
    section = RiskSection(k_target=k_target, acceptance=accepted)
    try:
        tables = list(quasi_tables(directory, manifest))
    except (OSError, pa.ArrowException):   # a damaged data file: the verification's files gate names it
        section.notes.append("Re-identification risk was not measured: an output file is damaged and could not be "
                             "read (see the failed check of the output files).")
        return section
    for q in tables:
        if q.missing:
            section.notes.append(f"{q.table}: quasi-identifier(s) {', '.join(q.missing)} are not in the output "
                                 "(dropped or excluded), so they add no risk")
        if q.frame is None:
            continue
        measured = measure(q.frame, q.table, q.quasi, q.sensitive, k_target)
        if accepted is not None and measured.records_below_k_target:
            covers = accepted.max_share_below_k_target is None or \
                measured.share_below_k_target <= accepted.max_share_below_k_target
            measured.accepted = covers
            when = f" on {accepted.date.isoformat()}" if accepted.date else ""
            measured.sentence += (f" {accepted.reviewer} accepted this residual risk{when}: {accepted.reason}"
                                  if covers else
                                  f" The policy's risk acceptance ({accepted.reviewer}) covers at most "
                                  f"{accepted.max_share_below_k_target:.1%} of records below the target: "
                                  "this run exceeds it.")
        section.tables.append(measured)
    if not tables:
        section.notes.append("The policy declares no quasi-identifiers (quasi_identifiers:), so re-identification "
                             "risk from combinations of kept attributes was not measured. Declare them to measure it.")
    section.notes.append("Measured per table on the masked output's values; the policy format has no cross-table join "
                         "of quasi-identifiers. A keyed fake maps equal values to equal fakes, so a pseudonymised "
                         "quasi-identifier has the source's classes; a generalised one has coarser classes.")
    return section
