from __future__ import annotations

import pytest

from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo


def _table(name: str, *parents: str, pk: tuple[str, ...] = ("id",)) -> TableInfo:
    columns = [ColumnInfo(name="id", kind="integer", sql_type="INTEGER")]
    columns += [ColumnInfo(name=f"{p}_id", kind="integer", sql_type="INTEGER") for p in parents]
    fks = tuple(ForeignKey(columns=(f"{p}_id",), ref_table=p, ref_columns=("id",)) for p in parents)
    return TableInfo(name=name, columns=tuple(columns), primary_key=pk, foreign_keys=fks)


def _schema(*tables: TableInfo) -> SchemaInfo:
    return SchemaInfo(dialect="sqlite", tables={t.name: t for t in tables})


@pytest.mark.parametrize(
    ("tables", "expected_order", "expected_deferred"),
    [
        pytest.param([_table("child", "parent"), _table("parent")], ["parent", "child"], [], id="chain"),
        pytest.param([_table("line", "order", "product"), _table("order", "customer"), _table("customer"),
                      _table("product")], ["customer", "order", "product", "line"], [], id="diamond"),
        pytest.param([_table("staff", "staff")], ["staff"], [("staff", "staff")], id="self-reference"),
        pytest.param([_table("store", "staff"), _table("staff", "store")], ["staff", "store"],
                     [("staff", "store")], id="two-table-cycle"),
    ],
)
def test_load_order_puts_parents_first_and_defers_cycles(
    tables: list[TableInfo], expected_order: list[str], expected_deferred: list[tuple[str, str]]
) -> None:
    schema = _schema(*tables)
    order = schema.load_order()
    assert order == expected_order
    deferred = [(table, fk.ref_table) for table, fk in schema.deferred_foreign_keys()]
    assert deferred == expected_deferred
    position = {t: i for i, t in enumerate(order)}
    for name, table in schema.tables.items():
        for fk in table.foreign_keys:
            if (name, fk.ref_table) not in deferred:
                assert position[fk.ref_table] < position[name]


def test_load_order_survives_a_deep_chain() -> None:
    tables = [_table("t0")] + [_table(f"t{i}", f"t{i - 1}") for i in range(1, 3000)]
    assert _schema(*tables).load_order()[:3] == ["t0", "t1", "t2"]


def test_fingerprint_changes_with_structure_only() -> None:
    base = _schema(_table("a"), _table("b", "a"))
    same = _schema(_table("b", "a"), _table("a"))
    changed = _schema(_table("a"), _table("b"))
    assert base.fingerprint() == same.fingerprint()
    assert base.fingerprint() != changed.fingerprint()


def test_with_foreign_keys_adds_virtual_relations() -> None:
    schema = _schema(_table("a"), _table("b"))
    virtual = ForeignKey(columns=("id",), ref_table="a", ref_columns=("id",), virtual=True)
    extended = schema.with_foreign_keys([("b", virtual)])
    assert extended.parents("b") == [(virtual, "a")]
    assert schema.parents("b") == []  # the original is untouched


def test_schema_round_trips_through_json() -> None:
    schema = _schema(_table("a"), _table("b", "a"))
    assert SchemaInfo.model_validate_json(schema.model_dump_json()) == schema
