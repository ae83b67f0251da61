"""Referential integrity and uniqueness of the output, checked on the Parquet files with Arrow.

Foreign keys follow SQL's MATCH SIMPLE rule: a child row with a NULL in any FK column references
nothing and is not an orphan. Unique sets follow SQL too: rows with a NULL in the set are exempt.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.verify.model import DUPLICATE_UNIQUE, ORPHAN_FK, Failure, ForeignKeyCheck, UniqueCheck
from anonymiser.verify.outputs import read_columns
from anonymiser.write.manifest import Manifest


def _non_null(table: pa.Table, columns: list[str]) -> pa.Table:
    mask = None
    for name in columns:
        valid = pc.is_valid(table.column(name))
        mask = valid if mask is None else pc.and_(mask, valid)
    return table.filter(mask) if mask is not None else table


def _distinct(table: pa.Table, columns: list[str]) -> pa.Table:
    return table.select(columns).group_by(columns, use_threads=False).aggregate([])


def check_foreign_keys(directory: Path, manifest: Manifest) -> tuple[list[ForeignKeyCheck], list[Failure]]:
    checks: list[ForeignKeyCheck] = []
    failures: list[Failure] = []
    schema = manifest.schema_
    for name in manifest.load_order or sorted(manifest.tables):
        info = schema.tables.get(name)
        if info is None:
            continue
        for fk, parent in schema.parents(name):
            if parent not in manifest.tables:
                continue  # the parent table was excluded from the copy: the writer drops this FK
            cols, refs = list(fk.columns), list(fk.ref_columns)
            child = _non_null(read_columns(directory, manifest, name, cols), cols)
            keys = _distinct(read_columns(directory, manifest, parent, refs), refs)
            # Align types (e.g. int32 child, int64 parent) so the join compares values, not types.
            child = pa.table({c: child.column(c).cast(keys.schema.field(r).type) for c, r in zip(cols, refs,
                                                                                                   strict=True)})
            orphans = child.join(keys, keys=cols, right_keys=refs, join_type="left anti",
                                 use_threads=False).num_rows
            checks.append(ForeignKeyCheck(table=name, columns=cols, ref_table=parent, ref_columns=refs,
                                          rows_checked=child.num_rows, orphans=orphans, virtual=fk.virtual))
            if orphans:
                failures.append(Failure(
                    reason=ORPHAN_FK, gate="orphans", table=name, column=",".join(cols), count=orphans,
                    message=f"{orphans} row(s) of {name}({', '.join(cols)}) reference no row of "
                            f"{parent}({', '.join(refs)})"))
    return checks, failures


def unique_sets(manifest: Manifest, table: str) -> list[tuple[str, ...]]:
    """Source-unique column sets (PK, UNIQUE) plus columns the policy marks ``unique: true``."""
    info = manifest.schema_.tables[table]
    sets = list(info.unique_sets())
    entry = manifest.tables.get(table)
    if entry is not None:
        sets += [(col,) for col, m in entry.masking.items() if m.unique and (col,) not in sets]
    present = set(info.column_names)
    return [s for s in sets if s and set(s) <= present]


def check_unique(directory: Path, manifest: Manifest) -> tuple[list[UniqueCheck], list[Failure]]:
    checks: list[UniqueCheck] = []
    failures: list[Failure] = []
    for name in manifest.load_order or sorted(manifest.tables):
        if name not in manifest.schema_.tables:
            continue
        for cols_t in unique_sets(manifest, name):
            cols = list(cols_t)
            rows = _non_null(read_columns(directory, manifest, name, cols), cols)
            duplicates = rows.num_rows - _distinct(rows, cols).num_rows
            checks.append(UniqueCheck(table=name, columns=cols, rows_checked=rows.num_rows, duplicates=duplicates))
            if duplicates:
                failures.append(Failure(
                    reason=DUPLICATE_UNIQUE, gate="duplicates", table=name, column=",".join(cols),
                    count=duplicates,
                    message=f"{duplicates} duplicate row(s) in {name}({', '.join(cols)}), unique in the source"))
    return checks, failures
