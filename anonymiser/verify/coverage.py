"""Policy coverage gates: columns at risk, and schema drift since the policy was written.

A column is *at risk* when detection classed it as personal (direct identifier or sensitive
attribute; or a quasi-identifier the policy did not declare in ``quasi_identifiers``, where it
would be measured for k-anonymity) and the policy keeps it unmasked without a ``reason``.
A column is *unruled* when the source has it but neither the policy nor the run covered it.
"""

from __future__ import annotations

from anonymiser.schema import SchemaInfo
from anonymiser.verify.findings import declared, findings, is_personal
from anonymiser.verify.model import KEPT_PERSONAL, UNRULED_COLUMN, Failure
from anonymiser.write.manifest import Manifest


def kept_unjustified(manifest: Manifest, table: str, column: str) -> bool:
    entry = manifest.tables.get(table)
    masking = entry.masking.get(column) if entry is not None else None
    return masking is None or (masking.strategy == "keep" and not (masking.reason or "").strip())


def at_risk(manifest: Manifest) -> tuple[list[str], list[Failure]]:
    quasi = declared(manifest, "quasi_identifiers")
    names: list[str] = []
    failures: list[Failure] = []
    for (table, column), finding in sorted(findings(manifest).items()):
        if table not in manifest.tables or not is_personal(finding):
            continue
        if finding.get("classification") == "quasi_identifier" and (table, column) in quasi:
            continue  # declared: measured in the residual-risk section instead
        if kept_unjustified(manifest, table, column):
            names.append(f"{table}.{column}")
            entity = finding.get("entity") or finding.get("classification")
            failures.append(Failure(
                reason=KEPT_PERSONAL, gate="at_risk", table=table, column=column, count=1,
                message=f"{table}.{column} was detected as {entity} but is kept unmasked without a reason"))
    return names, failures


def _rules(manifest: Manifest) -> tuple[dict[str, set[str]], set[str]]:
    ruled: dict[str, set[str]] = {}
    excluded: set[str] = set()
    for table, spec in (manifest.policy.get("tables") or {}).items():
        if not isinstance(spec, dict):
            continue
        if spec.get("exclude"):
            excluded.add(table)
        ruled[table] = set((spec.get("columns") or {}).keys())
    for table, entry in manifest.tables.items():
        ruled.setdefault(table, set()).update(entry.masking)
    return ruled, excluded


def drift(manifest: Manifest, source: SchemaInfo) -> tuple[list[str], list[Failure]]:
    ruled, excluded = _rules(manifest)
    names: list[str] = []
    failures: list[Failure] = []
    for table, info in sorted(source.tables.items()):
        if table in excluded:
            continue
        missing = [c for c in info.column_names if c not in ruled.get(table, set())]
        names += [f"{table}.{c}" for c in missing]
        if missing and table not in ruled:
            failures.append(Failure(reason=UNRULED_COLUMN, gate="drift", table=table, count=len(missing),
                                    message=f"table {table} ({len(missing)} columns) has no rules in the policy"))
        else:
            failures += [Failure(reason=UNRULED_COLUMN, gate="drift", table=table, column=c, count=1,
                                 message=f"{table}.{c} exists in the source but has no rule in the policy")
                         for c in missing]
    return names, failures
