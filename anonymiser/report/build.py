"""Build the report model from the manifest, the verification result and the output files.

Everything here comes from names, counts, hashes and policy text, never from a data value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from anonymiser.report.ipp import ipp_rows
from anonymiser.report.model import (
    Exception_,
    InventoryRow,
    OutputFile,
    Provenance,
    Report,
    Retention,
    SignOff,
    SubsetSection,
    SubsetTable,
)
from anonymiser.report.risk import residual_risk
from anonymiser.schema import ColumnInfo
from anonymiser.subset.result import SubsetRecord
from anonymiser.verify.leaks import METHOD as LEAK_METHOD
from anonymiser.verify.model import VerifyResult
from anonymiser.write.manifest import Manifest, timestamp

_QUOTED = re.compile(r"'(?:[^']|'')*'")


def shown_type(column: ColumnInfo) -> str:
    """The column's type as the inventory shows it: a MySQL ENUM or SET without its labels, which are values
    (a column of people's names can be an ENUM of them), only how many there are."""
    if column.kind in ("enum", "set") and "(" in column.sql_type:
        name = column.sql_type.split("(", 1)[0].strip()
        return f"{name}({len(_QUOTED.findall(column.sql_type))} labels)"
    return column.sql_type


_LABELS = {"direct_identifier": "direct identifier", "quasi_identifier": "quasi-identifier",
           "sensitive": "sensitive", "not_personal": "not personal"}


def _version(versions: dict[str, str], *names: str) -> str | None:
    lowered = {k.lower(): v for k, v in versions.items()}
    return next((lowered[n] for n in names if n in lowered), None)


def _rule_text(manifest: Manifest, table: str, column: str, strategy: str) -> str:
    rule = manifest.policy.rule(table, column)
    if rule is None:
        return f"{strategy} (derived)"
    shown = ", ".join(f"{k}={v}" for k, v in sorted(rule.options.items()) if isinstance(v, int | float | bool))
    return rule.mask + (f" ({shown})" if shown else "")


def inventory(manifest: Manifest, verify: VerifyResult) -> list[InventoryRow]:
    found = manifest.detection.by_column()
    quasi, sensitive = manifest.policy.declared("quasi_identifiers"), manifest.policy.declared("sensitive_attributes")
    at_risk = set(verify.at_risk_columns) | {f"{f.table}.{f.column}" for f in verify.failures_for("redetection")}
    rows: list[InventoryRow] = []
    order = manifest.load_order or sorted(manifest.tables)
    for table in order:
        info = manifest.schema_.tables.get(table)
        entry = manifest.tables.get(table)
        if info is None or entry is None:
            continue
        for col in info.columns:
            masking = entry.masking.get(col.name)
            finding = found.get((table, col.name))
            key = (table, col.name)
            classification = finding.classification if finding else (
                "quasi_identifier" if key in quasi else "sensitive" if key in sensitive else "not_personal")
            strategy = masking.strategy if masking else "keep"
            justification = masking.reason if masking and masking.reason else None
            if masking is not None and not masking.kept:
                status = "Protected"
            elif f"{table}.{col.name}" in at_risk:
                status = "At risk"
            elif justification:
                status = "Kept with justification"
            elif key in quasi:
                status = "Kept with justification"
                justification = "declared quasi-identifier, measured in Residual risk"
            elif classification != "not_personal":
                status = "Kept with justification" if key in sensitive else "At risk"
                justification = "declared sensitive attribute, measured for l-diversity" if key in sensitive else None
            else:
                status = "Not personal"
            rows.append(InventoryRow(
                table=table, column=col.name, sql_type=shown_type(col), classification=_LABELS.get(classification,
                                                                                             classification),
                entity=finding.entity if finding else None,
                detector=finding.detector if finding else ("policy" if masking else None),
                confidence=finding.score if finding else None, hit_rate=finding.hit_rate if finding else None,
                rule=_rule_text(manifest, table, col.name, strategy),
                technique=masking.technique if masking else "none",
                deterministic=masking.deterministic if masking else True,
                format_preserving=masking.format_preserving if masking else True,
                status=status, justification=justification))  # type: ignore[arg-type]
    return rows


def _roots(subset: SubsetRecord) -> list[str]:
    out = []
    for root in subset.roots:
        parts = [root.table]
        if root.percent is not None:
            parts.append(f"{root.percent}% sample")
        if root.rows is not None:
            parts.append(f"{root.rows} rows")
        if root.where:
            # A where clause can quote a value: show its hash, not its text.
            parts.append(f"where-condition sha256:{hashlib.sha256(root.where.encode()).hexdigest()[:12]}")
        out.append(", ".join(parts))
    return out


def subset_section(manifest: Manifest, verify: VerifyResult) -> SubsetSection:
    subset, policy = manifest.subset, manifest.policy.subset
    roots = _roots(subset)
    rules = []
    if policy is not None:
        rules += [f"include_children: {policy.include_children}",
                  f"max_children_per_parent: {policy.max_children_per_parent}", f"unreached: {policy.unreached}"]
    excluded = manifest.policy.excluded_tables()
    if excluded:
        rules.append(f"tables excluded from the copy: {', '.join(sorted(excluded))}")
    tables = [SubsetTable(table=t, source_rows=manifest.tables[t].source_rows, output_rows=manifest.tables[t].rows)
              for t in (manifest.load_order or sorted(manifest.tables)) if t in manifest.tables]
    return SubsetSection(method="sampled roots, parents followed" if roots else "all rows",
                         seed=subset.seed if subset.seed is not None else policy.seed if policy else None,
                         roots=roots, rules=rules,
                         tables=tables, foreign_keys_checked=len(verify.foreign_keys),
                         orphans=sum(c.orphans for c in verify.foreign_keys))


def provenance(manifest: Manifest, subset: SubsetSection) -> Provenance:
    versions = manifest.tool_versions
    engine = manifest.detection.engine
    model = engine.get("spacy_model") or _version(versions, "spacy_model")
    key = (f"Masking key id {manifest.key_id}. The key itself is never written by the tool; it lives in the "
           "secret store that provides ANONYMISER_KEY to the run.")
    if manifest.demo_key:
        key = (f"Masking key id {manifest.key_id}: the PUBLIC DEMO KEY built into the tool. Anyone can recompute "
               "this mapping: use this output for demonstration only, never for real data.")
    files = [OutputFile(path=f.path, sha256=f.sha256, bytes=f.bytes)
             for e in manifest.tables.values() for f in e.files]
    files += [OutputFile(path=f.path, sha256=f.sha256, bytes=f.bytes) for f in manifest.sql_files.values()]
    return Provenance(
        run_id=manifest.run_id, started_at=manifest.started_at, finished_at=manifest.finished_at,
        run_by=manifest.run_by, host=manifest.host,
        tool_version=_version(versions, "anonymiser"),
        presidio_version=engine.get("presidio") or _version(versions, "presidio-analyzer", "presidio"),
        spacy_model=str(model) if model else "pattern-only", faker_version=_version(versions, "faker"),
        tool_versions=dict(versions), detection_engine=manifest.detection.engine_description(),
        policy_path=manifest.policy_path, policy_sha256=manifest.policy_sha256, key_id=manifest.key_id,
        demo_key=manifest.demo_key, key_statement=key, source_dialect=manifest.source.dialect,
        source_database=manifest.source.database, source_schema_hash=manifest.source.schema_hash,
        sampling=subset.method + (f"; roots: {'; '.join(subset.roots)}" if subset.roots else ""),
        seed=subset.seed, files=files)


def retention(manifest: Manifest) -> Retention:
    run_date = dt.date.fromisoformat(manifest.started_at[:10])
    days = manifest.policy.retention_days
    expiry = (run_date + dt.timedelta(days=days)).isoformat() if days else None
    return Retention(
        run_date=run_date.isoformat(), retention_days=days, expiry_date=expiry,
        environment=manifest.policy.report.environment,
        intermediates=("By design no unmasked intermediate file is written: source rows are streamed, masked in "
                       "memory and only masked values reach disk; the output is written to a temporary sibling "
                       "directory and renamed into place only when complete."),
        breach_note=("If any gate failed and this copy was already released, treat it as a possible privacy "
                     "breach: assess it under Part 6 of the Privacy Act 2020 and, if it is likely to cause "
                     "serious harm, notify the Privacy Commissioner and the affected people as soon as "
                     "practicable."),
    )


def build_report(directory: Path, manifest: Manifest, verify: VerifyResult) -> Report:
    rows = inventory(manifest, verify)
    subset = subset_section(manifest, verify)
    kept = retention(manifest)
    report_policy = manifest.policy.report
    failed = [g for g in verify.gates if not g.passed]
    accepted = [g for g in verify.gates if g.status == "accepted"]
    if verify.passed and accepted:
        summary = (f"PASS: all {len(verify.gates)} gates passed, {len(accepted)} by a recorded acceptance "
                   f"({'; '.join(g.detail for g in accepted)}). This copy may be released to the intended "
                   "environment once signed off below.")
    elif verify.passed:
        summary = (f"PASS: all {len(verify.gates)} gates passed. This copy may be released to the intended "
                   "environment once signed off below.")
    else:
        summary = (f"FAIL: {len(failed)} gate(s) did not pass ({'; '.join(g.title for g in failed)}). Do not "
                   "release this copy; fix the policy or the run and verify again.")
    notice = ("This masked copy is pseudonymised, not anonymous. Masking is a keyed, deterministic substitution: "
              f"whoever holds the masking key (id {manifest.key_id}) can recompute the mapping and link records "
              "across tables and runs. While the key exists the copy remains personal information (GDPR Art. 4(5) "
              "and Recital 26; the same view is taken by the NZ, UK and Australian regulators) and must be "
              "protected as such.")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return Report(
        generated_at=timestamp(),
        title=f"Privacy compliance report: masked copy {manifest.run_id}",
        verdict="PASS" if verify.passed else "FAIL", summary=summary, pseudonymisation_notice=notice,
        verification=verify, provenance=provenance(manifest, subset), inventory=rows, status_counts=counts,
        subset=subset, residual_risk=residual_risk(directory, manifest), leak_scan_method=list(LEAK_METHOD),
        ipp=ipp_rows(rows, verify, kept, report_policy.environment, report_policy.recipients), retention=kept,
        signoff=SignOff(data_owner=report_policy.data_owner, privacy_officer=report_policy.privacy_officer,
                        pia_reference=report_policy.pia_reference, environment=report_policy.environment,
                        recipients=report_policy.recipients,
                        exceptions=[Exception_(table=r.table, column=r.column, reason=r.justification or "")
                                    for r in rows if r.status == "Kept with justification"]),
    )
