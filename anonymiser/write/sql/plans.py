"""What a dump or load makes of each table and column: target types, keys, deferred FKs (built in ``core``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.schema import ColumnInfo, ColumnKind, ForeignKey, IndexInfo, TableInfo


@dataclass(frozen=True)
class ColumnPlan:
    info: ColumnInfo          # the output column as the manifest describes it
    kind: ColumnKind          # agrees with the Arrow type of the data
    arrow: pa.DataType
    type_info: ColumnInfo     # whose type this column takes: a FK column takes its parent's
    type_table: str           # the table ``type_info`` belongs to
    key: bool                 # in a PK, UNIQUE or FK: MySQL needs a bounded type to index it
    sql_type: str = ""
    native: bool = False      # same engine as the source, type unchanged by masking: rebuilt exactly

    @property
    def derived(self) -> bool:
        """Computed by the target (generated, or by a trigger): never loaded."""
        return self.info.derived


@dataclass
class TablePlan:
    table: TableInfo
    columns: list[ColumnPlan]
    inline_fks: list[ForeignKey] = field(default_factory=list)
    deferred_fks: list[ForeignKey] = field(default_factory=list)
    identity: str | None = None   # single integer PK the source generates
    identity_next: int = 1        # where its counter continues after the loaded rows
    native: bool = False          # same engine as the source: its DDL facts apply
    indexes: list[IndexInfo] = field(default_factory=list)   # the source's indexes this copy rebuilds
    warnings: list[str] = field(default_factory=list)   # "table.column: what was mapped and how"

    @property
    def data_columns(self) -> list[ColumnPlan]:
        """Columns that carry data: generated and trigger-computed columns are computed by the target."""
        return [c for c in self.columns if not c.derived]

    def observe(self, batch: pa.RecordBatch) -> None:
        if self.identity:
            largest = pc.max(batch.column(self.identity)).as_py()
            if largest is not None:
                self.identity_next = max(self.identity_next, int(largest) + 1)

    @property
    def name(self) -> str:
        return self.table.name


__all__ = ["ColumnPlan", "TablePlan"]
