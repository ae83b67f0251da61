"""The subset's view of a schema: row identities, carried columns, rules, reachability, name checks."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from anonymiser.errors import SubsetError
from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo
from anonymiser.subset import SubsetPolicy, virtual_foreign_keys
from anonymiser.subset.graph import SubsetGraph, identity
from anonymiser.subset.sql import default_batch_size, key_clause, table_clause


def _col(name: str, nullable: bool = True, kind: str = "integer") -> ColumnInfo:
    return ColumnInfo(name=name, kind=kind, sql_type="INTEGER" if kind == "integer" else "VARCHAR(10)",
                      nullable=nullable)


def _fk(columns: tuple[str, ...], table: str, ref: tuple[str, ...]) -> ForeignKey:
    return ForeignKey(columns=columns, ref_table=table, ref_columns=ref)


SCHEMA = SchemaInfo(dialect="sqlite", tables={
    "Customer": TableInfo(name="Customer", columns=(_col("id", False), _col("rep_id"), _col("email", kind="string")),
                          primary_key=("id",), foreign_keys=(_fk(("rep_id",), "Employee", ("id",)),)),
    "Employee": TableInfo(name="Employee", columns=(_col("id", False), _col("boss"), _col("badge", False, "string")),
                          primary_key=("id",), unique=(("badge",),),
                          foreign_keys=(_fk(("boss",), "Employee", ("id",)),)),
    "Order Details": TableInfo(name="Order Details", columns=(_col("order_id", False), _col("line", False),
                                                            _col("badge", kind="string")),
                               primary_key=("order_id", "line"),
                               foreign_keys=(_fk(("badge",), "Employee", ("badge",)),)),
    "log": TableInfo(name="log", columns=(_col("customer_id"), _col("what", kind="string")),
                     foreign_keys=(_fk(("customer_id",), "Customer", ("id",)),)),
    "lookup": TableInfo(name="lookup", columns=(_col("code", False, "string"),), unique=(("code",),)),
})


@pytest.mark.parametrize(
    ("table", "expected_key", "expected_carry"),
    [
        pytest.param("Customer", ("id",), ("id", "rep_id"), id="pk-and-fk"),
        pytest.param("Employee", ("id",), ("id", "boss", "badge"), id="referenced-natural-key-carried"),
        pytest.param("Order Details", ("order_id", "line"), ("order_id", "line", "badge"), id="composite-pk"),
        pytest.param("log", ("customer_id",), ("customer_id",), id="no-pk-keyed-by-fk"),
        pytest.param("lookup", ("code",), ("code",), id="not-null-unique-as-identity"),
    ],
)
def test_keys_and_carried_columns(table: str, expected_key: tuple[str, ...],
                                  expected_carry: tuple[str, ...]) -> None:
    graph = SubsetGraph(SCHEMA, SubsetPolicy())
    assert graph.key[table] == expected_key
    assert graph.carry[table] == expected_carry
    assert (table in graph.keyed) == bool(identity(SCHEMA.tables[table]))


@pytest.mark.parametrize(
    ("policy", "roots", "expected"),
    [
        pytest.param({}, ["Customer"], {"Customer", "Employee", "log"}, id="children-and-parents"),
        pytest.param({"include_children": False}, ["Customer"], {"Customer", "Employee"}, id="parents-only"),
        pytest.param({"children": [{"table": "log", "follow": False}]}, ["Customer"], {"Customer", "Employee"},
                     id="rule-stops-relation"),
        pytest.param({}, ["Employee"], {"Customer", "Employee", "log", "Order Details"}, id="from-the-top"),
    ],
)
def test_reached(policy: dict[str, Any], roots: list[str], expected: set[str]) -> None:
    assert SubsetGraph(SCHEMA, SubsetPolicy.model_validate(policy)).reached(roots) == expected


def test_rule_limits_only_its_relation() -> None:
    policy = SubsetPolicy.model_validate({"max_children_per_parent": 9,
                                          "children": [{"table": "Employee", "via": ["boss"], "limit": 2}]})
    graph = SubsetGraph(SCHEMA, policy)
    limits = {(r.child, r.fk.columns): r.limit for r in graph.children["Employee"]}
    assert limits == {("Customer", ("rep_id",)): 9, ("Employee", ("boss",)): 2, ("Order Details", ("badge",)): 9}


@pytest.mark.parametrize(
    ("vfk", "needle"),
    [
        pytest.param({"table": "customer", "columns": ["id"], "ref_table": "lookup", "ref_columns": ["code"]},
                     None, id="case-folded-ok"),
        pytest.param({"table": "Custmer", "columns": ["id"], "ref_table": "lookup", "ref_columns": ["code"]},
                     "Did you mean 'Customer'", id="table-typo"),
        pytest.param({"table": "Customer", "columns": ["emial"], "ref_table": "lookup", "ref_columns": ["code"]},
                     "Did you mean 'email'", id="column-typo"),
    ],
)
def test_virtual_foreign_keys(vfk: dict[str, Any], needle: str | None) -> None:
    policy = SubsetPolicy.model_validate({"virtual_foreign_keys": [vfk]})
    assert virtual_foreign_keys(policy)[0][1].virtual  # without a schema: as written
    if needle is None:
        [(table, fk)] = virtual_foreign_keys(policy, SCHEMA)
        assert (table, fk.columns, fk.ref_table, fk.virtual) == ("Customer", ("id",), "lookup", True)
        return
    with pytest.raises(SubsetError, match=needle):
        virtual_foreign_keys(policy, SCHEMA)


@pytest.mark.parametrize(
    ("dialect", "columns", "needles"),
    [
        pytest.param("sqlite", ("order_id", "line"), ['"Order Details"', "VALUES"], id="sqlite-row-values"),
        pytest.param("postgresql", ("order_id", "line"), ['"Order Details"', "unnest(CAST(", "INTEGER[]"],
                     id="postgresql-unnest"),
        pytest.param("mysql", ("order_id", "line"), ["`Order Details`", "IN ("], id="mariadb-row-values"),
        pytest.param("postgresql", ("badge",), ["unnest(CAST(", "VARCHAR(10)[]"], id="postgresql-single"),
    ],
)
def test_key_clause_sql(dialect: str, columns: tuple[str, ...], needles: list[str]) -> None:
    import pyarrow as pa
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    info = SCHEMA.tables["Order Details"]
    table = table_clause(info)
    keys = pa.table({c: [1, 2] if c != "badge" else ["a", "b"] for c in columns})
    engine_dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(), "mysql": mysql.dialect()}
    sql = str(sa.select(table).where(key_clause(table, columns, keys, dialect=dialect, info=info))
              .compile(dialect=engine_dialect[dialect], compile_kwargs={"render_postcompile": True}))
    for needle in needles:
        assert needle in sql


def _sqlite_limit() -> int:
    import sqlite3

    with sqlite3.connect(":memory:") as conn:
        return conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


@pytest.mark.parametrize(("dialect", "limit"), [("sqlite", _sqlite_limit()), ("postgresql", 65535),
                                                ("mysql", 1_000_000)])
@pytest.mark.parametrize("arity", [1, 2, 5])
def test_batch_size_respects_parameter_limits(dialect: str, limit: int, arity: int) -> None:
    size = default_batch_size(dialect, arity)
    assert size >= 1 and size * arity <= limit
