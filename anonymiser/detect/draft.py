"""Write the draft policy: every table, every column, with the evidence as YAML comments.

The text is written by hand (PyYAML drops comments) but every value goes through ``yaml.safe_dump``
or JSON quoting, so odd table and column names ("Order Details", ``yes``) stay valid YAML. The
result validates as ``Policy`` and round-trips through ``anonymiser check`` unedited.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import yaml

from anonymiser import __version__
from anonymiser.detect.model import ColumnFinding, DetectionResult
from anonymiser.policy.model import POLICY_VERSION
from anonymiser.schema import SchemaInfo

SOURCE_ENV_REF = "${ANONYMISER_SOURCE_URL}"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Plain scalars YAML 1.1 would read as something other than a string.
_YAML_SPECIAL = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"})


def yaml_key(name: str) -> str:
    if _PLAIN.fullmatch(name) and name.lower() not in _YAML_SPECIAL:
        return name
    return json.dumps(name, ensure_ascii=False)


def flow(value: Any) -> str:
    return str(yaml.safe_dump(value, default_flow_style=True, width=1_000_000, allow_unicode=True,
                              sort_keys=False)).strip().removesuffix("...").strip()


def evidence_comment(f: ColumnFinding) -> str:
    """``PERSON · direct identifier · score 0.95 · hit rate 82% of 93 sampled · column_name``; no values."""
    parts = [f.entity or "no entity", f.classification.replace("_", " ")]
    if f.free_text:
        parts.append("free text")
    parts.append(f"score {f.score:.2f}")
    if f.hit_rate is not None:
        parts.append(f"hit rate {f.hit_rate:.0%} of {f.sampled} sampled")
    parts.append(f.detector)
    if f.note:
        parts.append(f.note)
    return " · ".join(parts)


def _header(schema: SchemaInfo, detection: DetectionResult, source_hint: str | None) -> list[str]:
    engine = detection.engine
    personal = sum(1 for f in detection.findings if f.personal)
    lines = [
        f"# Draft policy written by 'anonymiser scan' {__version__} on {dt.date.today().isoformat()}.",
        f"# Source: {source_hint or 'see ANONYMISER_SOURCE_URL'} ({schema.dialect}, {len(schema.tables)} tables).",
        f"# Detection: Presidio {engine.get('presidio', '?')}, spaCy model: {engine.get('spacy_model', '?')}; "
        f"up to {detection.sample} distinct values sampled per text column.",
        f"# {personal} of {len(detection.findings)} columns look personal. Review every rule: the comment on each",
        "# column gives the evidence (entity · class · score · hit rate · detector). No data values are quoted.",
        "# Foreign-key columns carry the rule of the key they reference, so joins still match after masking.",
        "",
        f"version: {POLICY_VERSION}",
        f"source: {SOURCE_ENV_REF}",
    ]
    if schema.schema_name:
        lines.append(f"schema: {yaml_key(schema.schema_name)}")
    return lines


def draft_policy(schema: SchemaInfo, detection: DetectionResult, *, source_hint: str | None = None) -> str:
    """The complete policy YAML for ``schema``: a rule for every column, evidence as comments."""
    by_table: dict[str, list[ColumnFinding]] = {}
    for f in detection.findings:
        by_table.setdefault(f.table, []).append(f)
    lines = _header(schema, detection, source_hint)
    lines.append("tables:")
    for table_name in sorted(schema.tables):
        table = schema.tables[table_name]
        found = {f.column: f for f in by_table.get(table_name, [])}
        lines.append(f"  {yaml_key(table_name)}:")
        lines.append("    columns:")
        for column in table.columns:
            finding = found.get(column.name)
            if finding is None:   # detection skipped it (should not happen): fail safe, not open
                lines.append(f"      {yaml_key(column.name)}: {{mask: redact}}   # not scanned: review")
                continue
            lines.append(f"      {yaml_key(column.name)}: {flow(finding.rule.to_yaml())}   "
                         f"# {evidence_comment(finding)}")
    quasi = [f for f in detection.findings if f.classification == "quasi_identifier"]
    sensitive = [f for f in detection.findings if f.classification == "sensitive"]
    lines.append("# Columns that could single a person out in combination (k-anonymity is reported on them).")
    lines.append("quasi_identifiers:" + ("" if quasi else " []"))
    lines.extend(f"  - {flow(f.qualified)}" for f in quasi)
    if quasi:
        lines += ["# Verification fails while these leave records below report.k_target (default 5): generalise them",
                  "# (a date: {mask: generalise, to: year}; an NZ postcode: {mask: generalise, to: region}), or have a",
                  "# reviewer accept the residual risk (the report shows who and why beside the figure):",
                  "# report:",
                  '#   risk_acceptance: {reviewer: "Name, role", reason: "why this residual risk is acceptable"}']
    if sensitive:
        lines.append("sensitive_attributes:")
        lines.extend(f"  - {flow(f.qualified)}" for f in sensitive)
    return "\n".join(lines) + "\n"
