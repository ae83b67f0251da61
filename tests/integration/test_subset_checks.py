"""Integrity checks for subset results (used by the other test_subset* modules), and their own tests.

The checks read the kept rows with the where-clauses the reader uses (``filter_clauses``, in small
batches so several run) and compare foreign keys with pandas, independently of the subset's own
Arrow key-set code.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo
from anonymiser.subset import SubsetResult, filter_clauses
from anonymiser.subset.sql import table_clause


def kept_frames(conn: sa.Connection, schema: SchemaInfo, result: SubsetResult) -> dict[str, pd.DataFrame]:
    frames = {}
    for name, info in schema.tables.items():
        table, row_filter = table_clause(info), result.filters[name]
        if row_filter is None:
            statements = [sa.select(table)]
        else:
            clauses = filter_clauses(table, row_filter, 700, dialect=conn.dialect.name, info=info)
            statements = [sa.select(table).where(clause) for clause in clauses]
        rows = [row for statement in statements for row in conn.execute(statement).fetchall()]
        frames[name] = pd.DataFrame.from_records(rows, columns=info.column_names).convert_dtypes()
    return frames


def orphans(schema: SchemaInfo, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Per ``table.fk``: kept rows whose non-NULL foreign key has no kept parent."""
    out = {}
    for name, info in schema.tables.items():
        for fk in info.foreign_keys:
            child = frames[name][list(fk.columns)].dropna()
            parent = frames[fk.ref_table][list(fk.ref_columns)].drop_duplicates()
            parent.columns = list(fk.columns)
            merged = child.merge(parent, how="left", on=list(fk.columns), indicator=True)
            out[f"{name}.{'+'.join(fk.columns)}"] = int((merged["_merge"] == "left_only").sum())
    return out


def assert_intact(conn: sa.Connection, schema: SchemaInfo, result: SubsetResult) -> dict[str, pd.DataFrame]:
    """Zero orphans, and the reported kept counts are the rows the reader really returns."""
    frames = kept_frames(conn, schema, result)
    assert {k: v for k, v in orphans(schema, frames).items() if v} == {}
    assert {t: len(f) for t, f in frames.items()} == result.kept_rows
    return frames


def keys_of(result: SubsetResult) -> dict[str, list[dict[str, object]] | None]:
    return {t: (None if f is None else f.keys.to_pylist()) for t, f in result.filters.items()}


def _schema() -> SchemaInfo:
    col = ColumnInfo(name="id", kind="integer", sql_type="INTEGER", nullable=False)
    ref = ColumnInfo(name="parent_id", kind="integer", sql_type="INTEGER")
    fk = ForeignKey(columns=("parent_id",), ref_table="parent", ref_columns=("id",))
    return SchemaInfo(dialect="sqlite", tables={
        "parent": TableInfo(name="parent", columns=(col,), primary_key=("id",)),
        "child": TableInfo(name="child", columns=(col, ref), primary_key=("id",), foreign_keys=(fk,)),
    })


@pytest.mark.parametrize(
    ("parents", "children", "expected"),
    [
        pytest.param([1, 2], [1, 2, None], 0, id="all-present-null-needs-none"),
        pytest.param([1], [1, 2, 2], 2, id="missing-parent-counted"),
        pytest.param([], [None], 0, id="null-only"),
    ],
)
def test_orphan_check_finds_orphans(parents: list[int], children: list[int | None], expected: int) -> None:
    frames = {
        "parent": pd.DataFrame({"id": parents}, dtype="Int64"),
        "child": pd.DataFrame({"id": range(len(children)), "parent_id": children}, dtype="Int64"),
    }
    assert orphans(_schema(), frames) == {"child.parent_id": expected}
