"""Precision and recall of a scan against an expected classification (a golden YAML file).

The golden file maps ``table.column`` in snake case to ``[classification, entity]`` for every
personal column; anything not listed is expected ``not_personal``. Names are compared in snake
case so one file serves every dialect's spelling (``Customer.FirstName`` = ``customer.first_name``),
separators dropped (``HomePage`` = ``homepage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from anonymiser.detect.model import ColumnFinding
from anonymiser.detect.names import normalised

ANY_ENTITY = "*"
NOT_PERSONAL = ("not_personal", None)


def load_expected(path: Path) -> dict[str, tuple[str, str | None]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key(*str(k).split(".", 1)): (str(v[0]), None if v[1] is None else str(v[1])) for k, v in data.items()}


def key(table: str, column: str) -> str:
    # Without separators: Northwind's SQLite "HomePage" is PostgreSQL's "homepage".
    return f"{normalised(table).replace('_', '')}.{normalised(column).replace('_', '')}"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    per_entity: dict[str, Counts] = field(default_factory=dict)
    personal: Counts = field(default_factory=Counts)       # personal vs not, whatever the entity
    mismatches: list[str] = field(default_factory=list)     # "table.column: expected X, got Y"

    def table(self) -> str:
        """Markdown: one row per entity, then the personal/not-personal line."""
        rows = ["| entity | TP | FP | FN | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
        for entity, c in sorted(self.per_entity.items()):
            rows.append(f"| {entity} | {c.tp} | {c.fp} | {c.fn} | {c.precision:.2f} | {c.recall:.2f} |")
        p = self.personal
        rows.append(f"| **any personal column** | {p.tp} | {p.fp} | {p.fn} | {p.precision:.2f} | {p.recall:.2f} |")
        return "\n".join(rows)


def evaluate(findings: list[ColumnFinding], expected: dict[str, tuple[str, str | None]]) -> Evaluation:
    result = Evaluation()
    seen = set()
    for f in findings:
        k = key(f.table, f.column)
        seen.add(k)
        want_class, want_entity = expected.get(k, NOT_PERSONAL)
        got_entity = f.entity if f.personal else None
        want_personal, got_personal = want_class != "not_personal", f.personal
        if want_personal and got_personal:
            result.personal.tp += 1
        elif got_personal:
            result.personal.fp += 1
        elif want_personal:
            result.personal.fn += 1
        entity_ok = want_entity == ANY_ENTITY and got_personal or want_entity == got_entity
        if want_personal and f.classification == want_class and entity_ok:
            result.per_entity.setdefault(want_entity or "-", Counts()).tp += 1
            continue
        if want_personal or got_personal:
            result.mismatches.append(f"{k}: expected {want_class}/{want_entity}, got {f.classification}/{got_entity}")
        if want_personal:
            result.per_entity.setdefault(want_entity or "-", Counts()).fn += 1
        if got_personal:
            result.per_entity.setdefault(got_entity or "-", Counts()).fp += 1
    for k in sorted(set(expected) - seen):
        result.mismatches.append(f"{k}: expected {expected[k][0]}, column not found")
        result.per_entity.setdefault(expected[k][1] or "-", Counts()).fn += 1
        result.personal.fn += 1
    return result
