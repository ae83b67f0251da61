"""An application's tests on the masked demo dataset, with the anonymiser plugin's fixtures.

Run (after ``anonymiser demo --out out`` at the repository root):   pytest -n 4 examples/pytest
"""

from __future__ import annotations

import re
from decimal import Decimal

import factory
import phonenumbers
import pytest
import shop
import sqlalchemy as sa
from sqlalchemy.orm import Session

from anonymiser.identifiers import nz

RESERVED_EMAIL = re.compile(r"@example\.(com|net|org)$")


def one(conn: sa.Connection, sql: str, **params: object) -> object:
    return conn.execute(sa.text(sql), params).scalar_one()


# -- anonymiser_engine: this worker's own database -------------------------------------------------

def test_each_worker_has_its_own_database(anonymiser_engine: sa.Engine, worker_id: str) -> None:
    assert worker_id in str(anonymiser_engine.url.database)


def test_the_database_holds_the_masked_copy(anonymiser_engine: sa.Engine) -> None:
    with anonymiser_engine.connect() as conn:
        emails = conn.execute(sa.text("SELECT email FROM customer")).scalars().all()
        nhis = conn.execute(sa.text("SELECT nhi_number FROM customer WHERE nhi_number IS NOT NULL")).scalars().all()
    assert emails and all(RESERVED_EMAIL.search(e) for e in emails)
    assert nhis and all(n.startswith("Z") and nz.is_valid_nhi(n) for n in nhis)    # the NHI test range


# -- anonymiser_conn: every test starts from the dataset and leaves nothing behind -------------------

@pytest.mark.parametrize("customer_id", [1, 2, 3, 5, 8, 13])
def test_place_order_commits_but_stays_inside_the_test(conn: sa.Connection, customer_id: int) -> None:
    customer_id = one(conn, "SELECT customer_id FROM customer ORDER BY customer_id LIMIT 1 OFFSET :n",
                      n=customer_id)
    before = shop.lifetime_value(conn, customer_id)
    order_id = shop.place_order(conn, customer_id, [(1, 2), (2, 1)])      # commits: a SAVEPOINT here
    assert shop.lifetime_value(conn, customer_id) > before
    shop.refund(conn, order_id)
    assert shop.lifetime_value(conn, customer_id) == before


def test_deleting_everything_is_rolled_back(conn: sa.Connection) -> None:
    for table in ("order_item", "support_ticket", "orders"):
        conn.execute(sa.text(f"DELETE FROM {table}"))
    conn.commit()
    assert one(conn, "SELECT COUNT(*) FROM orders") == 0


def test_an_orm_session_commits_to_a_savepoint(conn: sa.Connection) -> None:
    with Session(bind=conn) as session:
        session.execute(sa.text("UPDATE product SET price = 0"))
        session.commit()
    assert one(conn, "SELECT MAX(price) FROM product") == 0


def test_a_rejected_statement_leaves_the_test_usable(conn: sa.Connection) -> None:
    with pytest.raises(sa.exc.IntegrityError), conn.begin():     # begin(): a SAVEPOINT the failure rolls back
        conn.execute(sa.text("INSERT INTO orders (order_id, customer_id, ordered_at, status, total) "
                             "VALUES (-1, -42, CURRENT_TIMESTAMP, 'paid', 0)"))     # no customer -42
    assert one(conn, "SELECT COUNT(*) FROM orders WHERE order_id = -1") == 0


# -- anonymiser_factory: valid new rows, parents first ------------------------------------------------

def test_a_new_order_item_brings_its_parents(anonymiser_factory, conn: sa.Connection,
                                             dataset_counts: dict[str, int]) -> None:
    item = anonymiser_factory("order_item", quantity=3)
    assert item["quantity"] == 3 and item["line_no"] == 1
    customer_id = one(conn, "SELECT customer_id FROM orders WHERE order_id = :o", o=item["order_id"])
    assert one(conn, "SELECT COUNT(*) FROM customer WHERE customer_id = :c", c=customer_id) == 1
    assert one(conn, "SELECT COUNT(*) FROM orders") == dataset_counts["orders"] + 1
    assert one(conn, "SELECT COUNT(*) FROM product") == dataset_counts["product"] + 1


def test_reuse_parents_takes_existing_rows(anonymiser_factory, conn: sa.Connection,
                                           dataset_counts: dict[str, int]) -> None:
    item = anonymiser_factory("order_item", reuse_parents=True)
    assert one(conn, "SELECT COUNT(*) FROM orders") == dataset_counts["orders"]
    assert one(conn, "SELECT COUNT(*) FROM order_item WHERE order_id = :o", o=item["order_id"]) > 1
    assert item["line_no"] == one(conn, "SELECT MAX(line_no) FROM order_item WHERE order_id = :o", o=item["order_id"])


def test_personal_columns_are_valid_keyed_fakes(anonymiser_factory) -> None:
    for customer in anonymiser_factory.create_batch("customer", 5):
        assert RESERVED_EMAIL.search(customer["email"])
        assert customer["nhi_number"].startswith("Z") and nz.is_valid_nhi(customer["nhi_number"])
        assert nz.is_valid_ird(customer["ird_number"])
        assert nz.is_valid_nz_bank_account(customer["bank_account"])
        assert phonenumbers.is_valid_number(phonenumbers.parse(customer["mobile"], "NZ"))


def test_new_keys_never_meet_the_dataset_or_each_other(anonymiser_factory, conn: sa.Connection) -> None:
    largest = one(conn, "SELECT MAX(customer_id) FROM customer")
    ids = [c["customer_id"] for c in anonymiser_factory.create_batch("customer", 10)]
    assert len(set(ids)) == 10 and min(ids) > largest


def test_overrides_and_a_self_reference(anonymiser_factory) -> None:
    manager = anonymiser_factory("staff", role="manager", manager_id=None)
    support = anonymiser_factory("staff", role="support", manager_id=manager["staff_id"])
    assert support["manager_id"] == manager["staff_id"]
    ticket = anonymiser_factory("support_ticket", staff_id=support["staff_id"], subject="Late delivery")
    assert ticket["staff_id"] == support["staff_id"]


def test_factory_for_composes_with_factory_boy(anonymiser_factory, conn: sa.Connection) -> None:
    order_factory = anonymiser_factory.factory_for("orders")
    item_factory = anonymiser_factory.factory_for("order_item")

    class RefundedOrder(order_factory):
        status = "refunded"
        total = Decimal("0.00")

    class ItemOfRefundedOrder(item_factory):
        class Params:
            order = factory.SubFactory(RefundedOrder)

        order_id = factory.SelfAttribute("order.order_id")
        quantity = factory.Sequence(lambda n: n % 5 + 1)

    items = ItemOfRefundedOrder.create_batch(3)
    statuses = conn.execute(sa.text("SELECT status FROM orders WHERE order_id IN (:a, :b, :c)"),
                            dict(zip("abc", (i["order_id"] for i in items), strict=True))).scalars().all()
    assert statuses == ["refunded"] * 3
    assert RefundedOrder.build()["status"] == "refunded"      # build(): a dict, nothing inserted


@pytest.mark.parametrize("n", range(4))
def test_nothing_leaks_between_tests(conn: sa.Connection, anonymiser_factory, n: int) -> None:
    # ``conn`` already checked the counts; write something for the next test to find if it leaked.
    anonymiser_factory("support_ticket")
    shop.refund(conn, one(conn, "SELECT MIN(order_id) FROM orders"))
