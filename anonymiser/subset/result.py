"""What the subset step hands to the reader: per table, the keys of the rows to keep."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


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

    def summary(self) -> list[dict[str, Any]]:
        """One line per table (source rows, kept rows, how it was chosen), for the run summary."""
        how = self.method.get("tables", {})
        return [
            {"table": t, "source_rows": self.source_rows.get(t, 0), "kept_rows": self.kept_rows.get(t, 0),
             "selection": how.get(t, "all")}
            for t in sorted(self.filters)
        ]
