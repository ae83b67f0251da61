"""What detection found, per column: evidence only (entity, score, hit rate, detector), never a value."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from anonymiser.detect.names import Classification
from anonymiser.policy.model import ColumnRule

PARTS_KEY = "anonymiser_parts"      # where our recognizers put a span's parts in recognition_metadata


class ColumnFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    column: str
    kind: str                                   # the column's SQL kind (schema.ColumnKind)
    classification: Classification
    entity: str | None = None                   # "EMAIL_ADDRESS", "NZ_IRD", "PERSON", ... or None
    detector: str = "type"                      # column_name | presidio:<Recognizer> | nz:<Recognizer> | type | policy
    score: float = Field(0.0, ge=0.0, le=1.0)
    hit_rate: float | None = Field(None, ge=0.0, le=1.0)   # share of sampled distinct non-null values matched
    sampled: int = 0                            # distinct non-null values looked at
    free_text: bool = False
    rule: ColumnRule
    note: str | None = None                     # a short why (key handling, name rule), never a value

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"

    @property
    def personal(self) -> bool:
        return self.classification != "not_personal"


class DetectionResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: list[ColumnFinding] = Field(default_factory=list)
    engine: dict[str, Any] = Field(default_factory=dict)
    sample: int = 0

    def by_column(self) -> dict[tuple[str, str], ColumnFinding]:
        return {(f.table, f.column): f for f in self.findings}

    def engine_description(self) -> str | None:
        """The engine as one line ("presidio: 2.2; spacy_model: en_core_web_sm; ..."), if recorded."""
        parts = [f"{k}: {v}" for k, v in self.engine.items() if isinstance(v, str | int | float | bool) and v != ""]
        return "; ".join(parts) or None

    def finding(self, table: str, column: str) -> ColumnFinding:
        for f in self.findings:
            if f.table == table and f.column == column:
                return f
        raise KeyError(f"{table}.{column}")
