"""Detection for ``run``: the policy's rules and the scan's recorded evidence, not a second scan.

``scan`` writes its evidence beside every rule (``draft.evidence_comment``: entity · class · score ·
hit rate · detector · note). A reviewed policy therefore already says what each column is, and
``run`` reads that back instead of sampling the whole schema again. Per column:

- the rule line carries scan evidence → that finding, with the policy's (reviewed) rule;
- no evidence, and the rule masks the column or keeps it with a ``reason`` → the reviewer decided:
  the column-name and type heuristics describe it for the report (no values read);
- no evidence and ``keep`` without a reason (a rule the scan never saw: written by hand, or a
  column added since the scan) → sampled and classified exactly as ``scan`` would, so the at-risk
  gate still sees a personal column kept by mistake.

Only counts and labels are parsed; a comment never holds a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from anonymiser.detect.classify import classify_column, propagate_keys
from anonymiser.detect.evidence import SAMPLED_KINDS, table_evidence
from anonymiser.detect.model import ColumnFinding, DetectionResult
from anonymiser.mask import registry
from anonymiser.policy.load import LoadedPolicy
from anonymiser.progress import Progress
from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo

if TYPE_CHECKING:
    import sqlalchemy as sa

    from anonymiser.detect.engine import Engine

_SAMPLED = SAMPLED_KINDS | {"binary"}    # what table_evidence reads values of; other kinds: name and type only

# The inverse of draft.evidence_comment (scan --update prefixes "NEW: review · ").
_EVIDENCE = re.compile(
    r"#\s*(?:NEW: review · )?(?P<entity>no entity|[A-Z][A-Z0-9_]*) · "
    r"(?P<classification>direct identifier|quasi identifier|sensitive|not personal)"
    r"(?P<free_text> · free text)? · score (?P<score>\d+(?:\.\d+)?)"
    r"(?: · hit rate (?P<rate>\d+)% of (?P<sampled>\d+) sampled)? · (?P<detector>[\w:.\-]+)"
    r"(?: · (?P<note>.*?))?\s*$"
)


def parse_evidence(line: str) -> dict[str, Any] | None:
    """The finding fields a rule line's scan comment records, or None when it has none."""
    found = _EVIDENCE.search(line)
    if found is None:
        return None
    rate, sampled = found.group("rate"), found.group("sampled")
    return {
        "entity": None if found.group("entity") == "no entity" else found.group("entity"),
        "classification": found.group("classification").replace(" ", "_"),
        "free_text": found.group("free_text") is not None,
        "score": min(1.0, float(found.group("score"))),
        "hit_rate": int(rate) / 100 if rate is not None else None,
        "sampled": int(sampled) if sampled is not None else 0,
        "detector": found.group("detector"),
        "note": found.group("note") or None,
    }


def recorded_evidence(loaded: LoadedPolicy) -> dict[tuple[str, str], dict[str, Any]]:
    """Scan evidence per (table, column), read from the comment on each rule's line."""
    lines = loaded.text.splitlines()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for table, table_policy in loaded.policy.tables.items():
        for column in table_policy.columns:
            number = loaded.lines.get(("tables", table, "columns", column))
            if number is None or not 0 < number <= len(lines):
                continue
            fields = parse_evidence(lines[number - 1])
            if fields is not None:
                out[(table, column)] = fields
    return out


def _undecided(loaded: LoadedPolicy, table: str, column: str) -> bool:
    rule = loaded.policy.tables[table].columns[column]
    return rule.mask == "keep" and not (rule.reason or "").strip()


def _described(table: TableInfo, column: ColumnInfo, loaded: LoadedPolicy) -> ColumnFinding:
    """A column the reviewer decided on (masked, or kept with a reason): heuristics describe it."""
    rule = loaded.policy.tables[table.name].columns[column.name]
    finding = classify_column(table, column, None)
    update: dict[str, Any] = {"rule": rule}
    if rule.mask != "keep" and not finding.personal:
        strategy = registry.get(rule.mask)
        pseudonym = strategy.technique in ("pseudonymisation", "suppression")
        update |= {"classification": "direct_identifier" if pseudonym else "quasi_identifier", "detector": "policy",
                   "entity": strategy.entities[0] if strategy.entities else None,
                   "free_text": rule.mask == "free_text", "note": "masked by the policy; not sampled"}
    return finding.model_copy(update=update)


def detect_from_policy(conn: sa.Connection, schema: SchemaInfo, loaded: LoadedPolicy, *, sample: int = 1000,
                       engine: Callable[[], Engine], progress: Progress | None = None) -> DetectionResult:
    """Findings for every column of ``schema`` (the tables the run keeps) without re-detecting the schema.

    ``engine`` is called only when a column has to be sampled or a rule masks free text (which loads
    the engine anyway); otherwise no model is loaded for detection and the result says so.
    """
    recorded = recorded_evidence(loaded)
    findings: dict[tuple[str, str], ColumnFinding] = {}
    names = sorted(schema.tables)
    sampled_columns = 0
    for i, name in enumerate(names):
        table = schema.tables[name]
        todo = [c for c in table.columns if c.kind in _SAMPLED and (name, c.name) not in recorded
                and _undecided(loaded, name, c.name)]
        evidence = {}
        if todo:
            if progress:
                progress("detect: sampling columns the scan never judged", i, len(names), "columns")
            narrowed = table.model_copy(update={"columns": tuple(todo)})
            evidence = table_evidence(conn, narrowed, sample, engine())
            sampled_columns += sum(1 for c in todo if c.name in evidence)
        for column in table.columns:
            key = (name, column.name)
            rule = loaded.policy.tables[name].columns[column.name]
            if key in recorded:
                findings[key] = ColumnFinding(table=name, column=column.name, kind=column.kind, rule=rule,
                                              **recorded[key])
            elif column.name in evidence or column in todo:
                findings[key] = classify_column(table, column, evidence.get(column.name)).model_copy(
                    update={"rule": rule})
            else:
                findings[key] = _described(table, column, loaded)
    propagate_keys(schema, findings)
    ordered = [findings[(n, c.name)] for n in names for c in schema.tables[n].columns]
    for finding in ordered:   # the policy's rule is what ran, whatever the parent key's finding proposed
        finding.rule = loaded.policy.tables[finding.table].columns[finding.column]
    free_text = any(f.rule.mask == "free_text" for f in ordered)
    info: dict[str, Any] = dict(engine().info()) if sampled_columns or free_text else {
        "spacy_model": "not loaded (no free text to mask, no column to sample)"}
    info["findings_from"] = (f"policy rules and scan evidence; {sampled_columns} column(s) sampled"
                             if sampled_columns else "policy rules and scan evidence; nothing sampled")
    return DetectionResult(findings=ordered, engine=info, sample=sample)
