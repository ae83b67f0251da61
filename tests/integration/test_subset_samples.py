"""Subsetting the sample databases: Chinook (self-reference, mixed-case names) and Northwind
(composite primary keys, a table called "Order Details") on every server they load on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from anonymiser.schema import SchemaInfo
from anonymiser.source.introspect import introspect
from anonymiser.subset import SubsetPolicy, compute_subset
from tests.integration.test_subset_checks import assert_intact, keys_of

CHINOOK = ["chinook_sqlite", "chinook_pg", "chinook_mariadb"]
NORTHWIND = ["northwind_sqlite", "northwind_pg"]


def _connect(request: pytest.FixtureRequest, fixture: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(request.getfixturevalue(fixture))
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture(params=CHINOOK)
def chinook(request: pytest.FixtureRequest) -> Iterator[sa.Connection]:
    yield from _connect(request, request.param)


@pytest.fixture(params=NORTHWIND)
def northwind(request: pytest.FixtureRequest) -> Iterator[sa.Connection]:
    yield from _connect(request, request.param)


def _named(schema: SchemaInfo, name: str) -> str:
    """The source's spelling: Customer / customer, Order Details / order_details."""
    folded = name.replace(" ", "").replace("_", "").lower()
    return next(t for t in schema.tables if t.replace(" ", "").replace("_", "").lower() == folded)


def _pk(schema: SchemaInfo, table: str) -> str:
    return schema.tables[table].primary_key[0]


def _subset(conn: sa.Connection, **policy: Any) -> tuple[SchemaInfo, Any]:
    schema = introspect(conn)
    return schema, compute_subset(conn, schema, SubsetPolicy.model_validate(policy))


def test_chinook_ten_percent(chinook: sa.Connection) -> None:
    schema, result = _subset(chinook, seed=3, roots=[{"table": "customer", "percent": 10}])
    frames = assert_intact(chinook, schema, result)
    customer, invoice, employee = (_named(schema, t) for t in ("customer", "invoice", "employee"))
    assert result.kept_rows[customer] == 6  # 10% of 59, rounded
    kept = set(frames[customer][_pk(schema, customer)])
    fk = next(f for f in schema.tables[invoice].foreign_keys if f.ref_table == customer).columns[0]
    all_invoices = chinook.execute(sa.select(sa.column(fk)).select_from(sa.table(invoice))).scalars().all()
    assert result.kept_rows[invoice] == sum(c in kept for c in all_invoices)
    # Support reps and their managers up to the general manager (self-reference, upwards).
    assert 0 < result.kept_rows[employee] < result.source_rows[employee]
    assert result.method["tables"][_named(schema, "playlist")] == "whole"


def test_chinook_self_reference_downwards(chinook: sa.Connection) -> None:
    schema = introspect(chinook)
    employee = _named(schema, "employee")
    quote = chinook.dialect.identifier_preparer.quote
    policy = SubsetPolicy.model_validate(
        {"roots": [{"table": employee, "where": f"{quote(_pk(schema, employee))} = 2"}]})
    result = compute_subset(chinook, schema, policy)
    frames = assert_intact(chinook, schema, result)
    # Nancy (2): her reports 3, 4, 5 are children (followed down), her manager 1 is a parent.
    assert sorted(frames[employee][_pk(schema, employee)]) == [1, 2, 3, 4, 5]


def test_same_sample_on_every_dialect(request: pytest.FixtureRequest) -> None:
    """Keys are ranked by a seeded hash of their text: the same rows whatever the server."""
    samples = []
    for fixture in CHINOOK:
        for conn in _connect(request, fixture):
            schema, result = _subset(conn, seed=11, roots=[{"table": "invoice", "rows": 20}])
            samples.append(sorted(result.filters[_named(schema, "invoice")].keys.column(0).to_pylist()))
    assert samples[0] == samples[1] == samples[2]
    assert len(samples[0]) == 20


def test_northwind_composite_keys(northwind: sa.Connection) -> None:
    schema, result = _subset(northwind, seed=5, roots=[{"table": "orders", "percent": 10}])
    frames = assert_intact(northwind, schema, result)
    orders, details = _named(schema, "orders"), _named(schema, "order details")
    assert result.kept_rows[orders] == 83  # 10% of 830
    assert result.filters[details] is not None and len(result.filters[details].columns) == 2
    kept = set(frames[orders][_pk(schema, orders)])
    order_fk = next(f for f in schema.tables[details].foreign_keys if f.ref_table == orders).columns[0]
    source = northwind.execute(
        sa.select(sa.column(order_fk)).select_from(sa.table(details))).scalars().all()
    assert result.kept_rows[details] == sum(o in kept for o in source) > 0


def test_northwind_seed(northwind_sqlite: str) -> None:
    engine = sa.create_engine(northwind_sqlite)
    with engine.connect() as conn:
        first, again, other = (_subset(conn, seed=s, roots=[{"table": "Customers", "rows": 9}])[1]
                               for s in (1, 1, 2))
    engine.dispose()
    assert keys_of(first) == keys_of(again)
    assert keys_of(first) != keys_of(other)


def test_no_policy_keeps_everything(chinook_sqlite: str) -> None:
    engine = sa.create_engine(chinook_sqlite)
    with engine.connect() as conn:
        schema = introspect(conn)
        result = compute_subset(conn, schema, None)
    engine.dispose()
    assert set(result.filters) == set(schema.tables)
    assert all(f is None for f in result.filters.values())
    assert result.kept_rows == result.source_rows and result.source_rows["Track"] == 3503
