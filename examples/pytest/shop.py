"""The application code under test: a few functions of the demo's online shop.

It takes a SQLAlchemy Connection and commits its own work, as application code does; under the
``anonymiser_conn`` fixture those commits are SAVEPOINTs, rolled back with the test.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

metadata = sa.MetaData()
customer = sa.Table("customer", metadata, sa.Column("customer_id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String), sa.Column("loyalty_tier", sa.String))
product = sa.Table("product", metadata, sa.Column("product_id", sa.Integer, primary_key=True),
                   sa.Column("price", sa.Numeric(10, 2)))
orders = sa.Table("orders", metadata, sa.Column("order_id", sa.Integer, primary_key=True),
                  sa.Column("customer_id", sa.Integer), sa.Column("served_by", sa.Integer),
                  sa.Column("ordered_at", sa.DateTime), sa.Column("status", sa.String),
                  sa.Column("delivery_address", sa.String), sa.Column("total", sa.Numeric(10, 2)))
order_item = sa.Table("order_item", metadata, sa.Column("order_id", sa.Integer, primary_key=True),
                      sa.Column("line_no", sa.Integer, primary_key=True), sa.Column("product_id", sa.Integer),
                      sa.Column("quantity", sa.Integer), sa.Column("unit_price", sa.Numeric(10, 2)))


def place_order(conn: sa.Connection, customer_id: int, lines: list[tuple[int, int]]) -> int:
    """Create an order with its lines at today's prices, and commit. Returns the new order id."""
    order_id = conn.execute(sa.select(sa.func.coalesce(sa.func.max(orders.c.order_id), 0) + 1)).scalar_one()
    prices = dict(conn.execute(sa.select(product.c.product_id, product.c.price)
                               .where(product.c.product_id.in_([p for p, _ in lines]))).all())
    total = sum((Decimal(prices[p]) * q for p, q in lines), Decimal(0))
    conn.execute(orders.insert().values(order_id=order_id, customer_id=customer_id, served_by=None,
                                        ordered_at=sa.func.current_timestamp(), status="paid",
                                        delivery_address=None, total=total))
    conn.execute(order_item.insert(), [
        {"order_id": order_id, "line_no": n, "product_id": p, "quantity": q, "unit_price": prices[p]}
        for n, (p, q) in enumerate(lines, start=1)
    ])
    conn.commit()
    return int(order_id)


def lifetime_value(conn: sa.Connection, customer_id: int) -> Decimal:
    """What a customer has spent on orders that were not refunded."""
    query = sa.select(sa.func.coalesce(sa.func.sum(orders.c.total), 0)).where(
        orders.c.customer_id == customer_id, orders.c.status != "refunded")
    return Decimal(conn.execute(query).scalar_one())


def refund(conn: sa.Connection, order_id: int) -> None:
    conn.execute(orders.update().where(orders.c.order_id == order_id).values(status="refunded"))
    conn.commit()
