"""Subsetting a schema built for the hard cases, on SQLite, PostgreSQL and MariaDB.

- a two-table cycle: ``store.manager_staff_id -> staff`` and ``staff.store_id -> store``
  (managers often work at another store, so the closure needs several rounds);
- a self-reference: ``staff.boss_id -> staff`` (bosses of bosses);
- a composite FK: ``order_line (store_id, order_no) -> orders``;
- a natural-key FK: ``orders.taken_by_badge -> staff.badge`` (UNIQUE, not the PK);
- a virtual FK the database does not declare: ``audit.customer_ref -> customer.customer_id``;
- a table without a primary key: ``note``; an unrelated lookup table: ``currency``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from anonymiser.errors import SubsetError
from anonymiser.schema import SchemaInfo
from anonymiser.source.introspect import introspect
from anonymiser.subset import SubsetPolicy, compute_subset, virtual_foreign_keys
from tests.integration.test_subset_checks import assert_intact, keys_of

DIALECTS = ["sqlite_url", "pg_url", "mariadb_url"]
CUSTOMERS = 150
VIRTUAL = [{"table": "audit", "columns": ["customer_ref"], "ref_table": "customer",
            "ref_columns": ["customer_id"]}]

TABLES = """
CREATE TABLE region (code VARCHAR(3) PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE currency (code VARCHAR(3) PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE store (store_id INTEGER PRIMARY KEY, region_code VARCHAR(3) NOT NULL,
  manager_staff_id INTEGER NULL, FOREIGN KEY (region_code) REFERENCES region (code) {store_fk});
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL, boss_id INTEGER NULL,
  badge VARCHAR(10) NOT NULL UNIQUE, FOREIGN KEY (store_id) REFERENCES store (store_id),
  FOREIGN KEY (boss_id) REFERENCES staff (staff_id));
{alter}
CREATE TABLE product (sku VARCHAR(12) PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, home_store_id INTEGER NULL, email VARCHAR(80),
  FOREIGN KEY (home_store_id) REFERENCES store (store_id));
CREATE TABLE orders (store_id INTEGER NOT NULL, order_no INTEGER NOT NULL, customer_id INTEGER NOT NULL,
  taken_by_badge VARCHAR(10) NULL, PRIMARY KEY (store_id, order_no),
  FOREIGN KEY (store_id) REFERENCES store (store_id), FOREIGN KEY (customer_id) REFERENCES customer (customer_id),
  FOREIGN KEY (taken_by_badge) REFERENCES staff (badge));
CREATE TABLE order_line (line_id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL, order_no INTEGER NOT NULL,
  sku VARCHAR(12) NOT NULL, FOREIGN KEY (store_id, order_no) REFERENCES orders (store_id, order_no),
  FOREIGN KEY (sku) REFERENCES product (sku));
CREATE TABLE audit (audit_id INTEGER PRIMARY KEY, customer_ref INTEGER NOT NULL, action VARCHAR(20));
CREATE TABLE note (customer_id INTEGER NOT NULL, body VARCHAR(80),
  FOREIGN KEY (customer_id) REFERENCES customer (customer_id));
"""


def _ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":  # SQLite cannot ALTER TABLE ADD CONSTRAINT; a forward reference is fine
        sql = TABLES.format(store_fk=", FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id)", alter="")
    else:
        sql = TABLES.format(store_fk="", alter="ALTER TABLE store ADD CONSTRAINT fk_store_manager "
                                                 "FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id);")
    return [s.strip() for s in sql.split(";") if s.strip()]


def _data() -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(5)
    regions = ["NTH", "STH", "EST", "WST", "CEN"]
    stores = [{"store_id": s, "region_code": rng.choice(regions[:4]), "manager_staff_id": None}
              for s in range(1, 9)]
    staff = [{"staff_id": i, "store_id": rng.randint(1, 8), "boss_id": None if i <= 3 else rng.randint(1, i - 1),
              "badge": f"B{i:04d}"} for i in range(1, 41)]
    customers = [{"customer_id": c, "home_store_id": None if c % 9 == 0 else rng.randint(1, 8),
                  "email": f"c{c}@example.test"} for c in range(1, CUSTOMERS + 1)]
    orders, lines, next_no = [], [], dict.fromkeys(range(1, 9), 0)
    for _ in range(400):
        store = rng.randint(1, 8)
        next_no[store] += 1
        orders.append({"store_id": store, "order_no": next_no[store], "customer_id": rng.randint(1, CUSTOMERS),
                       "taken_by_badge": None if rng.random() < 0.2 else f"B{rng.randint(1, 40):04d}"})
    for order in orders:
        for _ in range(rng.randint(0, 4)):
            lines.append({"line_id": len(lines) + 1, "store_id": order["store_id"], "order_no": order["order_no"],
                          "sku": f"SKU-{rng.randint(1, 30):03d}"})
    return {
        "region": [{"code": r, "name": f"Region {r}"} for r in regions],
        "currency": [{"code": c, "name": c} for c in ("NZD", "AUD", "USD")],
        "store": stores,
        "staff": staff,
        "product": [{"sku": f"SKU-{p:03d}", "name": f"Product {p}"} for p in range(1, 31)],
        "customer": customers,
        "orders": orders,
        "order_line": lines,
        "audit": [{"audit_id": a, "customer_ref": rng.randint(1, CUSTOMERS), "action": "login"}
                  for a in range(1, 301)],
        "note": [{"customer_id": rng.randint(1, CUSTOMERS), "body": f"note {n}"} for n in range(200)],
    }


def build(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _ddl(conn.dialect.name):
                conn.execute(sa.text(statement))
            data = _data()
            for table, rows in data.items():
                cols = list(rows[0])
                conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                                     f"({', '.join(':' + c for c in cols)})"), rows)
            # Close the cycle: managers are often staff of another store; store 8 has none.
            managers = [{"s": s, "m": (s * 7) % 40 + 1} for s in range(1, 8)]
            conn.execute(sa.text("UPDATE store SET manager_staff_id = :m WHERE store_id = :s"), managers)
    finally:
        engine.dispose()


@pytest.fixture(params=DIALECTS)
def shop(request: pytest.FixtureRequest) -> Iterator[sa.Connection]:
    url = request.getfixturevalue(request.param)
    build(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _schema(conn: sa.Connection, policy: SubsetPolicy) -> SchemaInfo:
    schema = introspect(conn)
    return schema.with_foreign_keys(virtual_foreign_keys(policy, schema))


def _policy(**extra: Any) -> SubsetPolicy:
    base = {"seed": 7, "roots": [{"table": "customer", "percent": 20}], "virtual_foreign_keys": VIRTUAL}
    return SubsetPolicy.model_validate(base | extra)


def _scalar(conn: sa.Connection, sql: str) -> int:
    return int(conn.execute(sa.text(sql)).scalar_one())


def test_closure_is_intact_and_complete(shop: sa.Connection) -> None:
    policy = _policy()
    schema = _schema(shop, policy)
    result = compute_subset(shop, schema, policy)
    frames = assert_intact(shop, schema, result)

    assert result.kept_rows["customer"] == round(CUSTOMERS * 0.2)
    kept = set(frames["customer"]["customer_id"])
    # Children of kept customers, through declared, virtual and PK-less relations, are all there.
    for table, column in [("orders", "customer_id"), ("audit", "customer_ref"), ("note", "customer_id")]:
        source = shop.execute(sa.text(f"SELECT {column} FROM {table}")).scalars().all()
        assert result.kept_rows[table] == sum(v in kept for v in source), table
    # The composite FK pulled every line of every kept order; lines brought their products.
    assert result.kept_rows["order_line"] > 0 and 0 < result.kept_rows["product"] <= 30
    # The natural-key FK and the cycle pulled staff and stores beyond the customers' own stores.
    assert result.filters["currency"] is None and result.kept_rows["currency"] == 3
    assert result.source_rows["note"] == 200
    assert result.method["tables"]["customer"] == "root"
    assert result.method["tables"]["currency"] == "whole"


def test_cycle_is_closed(shop: sa.Connection) -> None:
    policy = _policy(roots=[{"table": "store", "rows": 1}], include_children=False)
    schema = _schema(shop, policy)
    result = compute_subset(shop, schema, policy)
    frames = assert_intact(shop, schema, result)
    # One store root; its manager's store, that store's manager, ... until the cycle closes.
    assert result.kept_rows["store"] >= 1 and result.kept_rows["staff"] >= 1
    assert set(frames["staff"]["store_id"]) <= set(frames["store"]["store_id"])
    assert result.kept_rows["customer"] == 0  # children are not followed


@pytest.mark.parametrize("seed", [7, 8])
def test_same_seed_same_rows(shop: sa.Connection, seed: int) -> None:
    policy = _policy(seed=seed)
    schema = _schema(shop, policy)
    first, second = (compute_subset(shop, schema, policy) for _ in range(2))
    other = compute_subset(shop, schema, _policy(seed=seed + 100))
    assert keys_of(first) == keys_of(second)
    assert keys_of(first)["customer"] != keys_of(other)["customer"]


def test_children_limit_per_parent(shop: sa.Connection) -> None:
    policy = _policy(children=[{"table": "orders", "via": ["customer_id"], "limit": 1}])
    schema = _schema(shop, policy)
    result = compute_subset(shop, schema, policy)
    frames = assert_intact(shop, schema, result)
    per_customer = frames["orders"]["customer_id"].value_counts()
    assert per_customer.max() == 1
    assert result.kept_rows["audit"] > result.kept_rows["customer"]  # other relations keep the default


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        pytest.param({"roots": [{"table": "customers", "rows": 3}]}, "Did you mean 'customer'", id="root-table"),
        pytest.param({"virtual_foreign_keys": [VIRTUAL[0] | {"columns": ["customer_rf"]}]},
                     "customer_ref", id="virtual-column"),
        pytest.param({"children": [{"table": "audit", "via": ["action"]}]}, "matches no foreign key",
                     id="children-rule"),
        pytest.param({"roots": [{"table": "customer", "where": "no_such_column > 1"}]}, "where clause",
                     id="bad-where"),
    ],
)
def test_policy_names_are_checked(sqlite_url: str, change: dict[str, Any], needle: str) -> None:
    build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn, pytest.raises(SubsetError) as caught:
        compute_subset(conn, introspect(conn), _policy(**change))
    assert needle in str(caught.value)
    engine.dispose()


def test_where_combines_with_rows(sqlite_url: str) -> None:
    build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        policy = _policy(roots=[{"table": "customer", "where": "customer_id <= 50", "rows": 5}])
        schema = _schema(conn, policy)
        result = compute_subset(conn, schema, policy)
        frames = assert_intact(conn, schema, result)
    engine.dispose()
    assert len(frames["customer"]) == 5 and frames["customer"]["customer_id"].max() <= 50
    assert result.method["roots"][0]["eligible_rows"] == 50
