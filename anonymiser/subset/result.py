"""What the subset step hands to the reader: per table, the keys of the rows to keep."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from anonymiser.policy.subset import ChildRule, VirtualForeignKey


@dataclass(frozen=True)
class RowFilter:
    """Keep the rows whose ``columns`` tuple is one of ``keys`` (distinct, sorted).

    ``columns`` is the primary key (or a NOT NULL unique key); for a table with neither it is the
    columns its foreign keys use. An empty ``keys`` table means: no rows.
    """

    columns: tuple[str, ...]
    keys: pa.Table

    @property
    def num_keys(self) -> int:
        return int(self.keys.num_rows)

    @property
    def is_empty(self) -> bool:
        return self.keys.num_rows == 0 or not self.columns


@dataclass
class SubsetResult:
    filters: dict[str, RowFilter | None]        # every table of the schema; None = all rows
    source_rows: dict[str, int]
    kept_rows: dict[str, int]
    method: dict[str, Any] = field(default_factory=dict)   # JSON-able, for manifest and report

    def record(self) -> SubsetRecord:
        """What the manifest keeps of the subset: the method and the per-table counts."""
        return SubsetRecord.model_validate(self.method | {"tables": self.summary()})

    def summary(self) -> list[dict[str, Any]]:
        """One line per table (source rows, kept rows, how it was chosen), for the run summary."""
        how = self.method.get("tables", {})
        return [
            {"table": t, "source_rows": self.source_rows.get(t, 0), "kept_rows": self.kept_rows.get(t, 0),
             "selection": how.get(t, "all")}
            for t in sorted(self.filters)
        ]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RootSelection(_Record):
    """One sampled root: the policy's sizing (``where`` as written; the report shows only its hash)."""

    table: str
    percent: float | None = None
    rows: int | None = None
    where: str | None = None
    eligible_rows: int
    selected_rows: int


class TableSelection(_Record):
    table: str
    source_rows: int
    kept_rows: int
    selection: str                      # all | root | whole | parents | children | ... (how rows were chosen)


class SubsetRecord(_Record):
    """The subset as ``manifest.json`` records it; ``subset: false`` means every row was copied."""

    subset: bool = False
    seed: int | None = None
    roots: list[RootSelection] = Field(default_factory=list)
    include_children: bool | None = None
    max_children_per_parent: int | None = None
    children: list[ChildRule] = Field(default_factory=list)
    unreached: str | None = None
    virtual_foreign_keys: list[VirtualForeignKey] = Field(default_factory=list)
    tables: list[TableSelection] = Field(default_factory=list)
