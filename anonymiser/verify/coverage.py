"""Policy coverage gates: columns at risk, and schema drift since the policy was written.

A column is *at risk* when detection classed it as personal (direct identifier or sensitive
attribute; or a quasi-identifier the policy did not declare in ``quasi_identifiers``, where it
would be measured for k-anonymity) and the policy keeps it unmasked without a ``reason``.
A column is *unruled* when the source has it but the policy has no rule for it: the same rule
``plan`` enforces before a run (``plan.unruled_columns``), applied to the source as it is now.
"""

from __future__ import annotations

from itertools import groupby

from anonymiser.plan import unruled_columns
from anonymiser.schema import SchemaInfo
from anonymiser.verify.model import KEPT_PERSONAL, UNRULED_COLUMN, Failure
from anonymiser.write.manifest import Manifest


def at_risk(manifest: Manifest) -> tuple[list[str], list[Failure]]:
    quasi = manifest.policy.declared("quasi_identifiers")
    names: list[str] = []
    failures: list[Failure] = []
    for finding in sorted(manifest.detection.findings, key=lambda f: (f.table, f.column)):
        entry = manifest.tables.get(finding.table)
        if entry is None or not finding.personal:
            continue
        if finding.classification == "quasi_identifier" and (finding.table, finding.column) in quasi:
            continue  # declared: measured in the residual-risk section instead
        masking = entry.masking.get(finding.column)
        if masking is None or masking.kept_unjustified:
            names.append(finding.qualified)
            failures.append(Failure(
                reason=KEPT_PERSONAL, gate="at_risk", table=finding.table, column=finding.column, count=1,
                message=f"{finding.qualified} was detected as {finding.entity or finding.classification} but is "
                        "kept unmasked without a reason"))
    return names, failures


def drift(manifest: Manifest, source: SchemaInfo) -> tuple[list[str], list[Failure]]:
    names: list[str] = []
    failures: list[Failure] = []
    unruled = sorted(unruled_columns(manifest.policy, source), key=lambda tc: tc[0].name)
    for table, pairs in groupby(unruled, key=lambda tc: tc[0]):
        missing = [column.name for _, column in pairs]
        names += [f"{table.name}.{c}" for c in missing]
        if table.name not in manifest.policy.tables:
            failures.append(Failure(reason=UNRULED_COLUMN, gate="drift", table=table.name, count=len(missing),
                                    message=f"table {table.name} ({len(missing)} columns) has no rules in the "
                                            "policy"))
        else:
            failures += [Failure(reason=UNRULED_COLUMN, gate="drift", table=table.name, column=c, count=1,
                                 message=f"{table.name}.{c} exists in the source but has no rule in the policy")
                         for c in missing]
    return names, failures
