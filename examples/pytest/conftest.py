"""Fixtures of the example suite on top of the anonymiser plugin's three:

- ``anonymiser_engine`` (session): this worker's own database, holding the masked demo dataset;
- ``anonymiser_conn`` (function): a connection whose transaction is rolled back after each test;
- ``anonymiser_factory`` (function): inserts valid new rows (parents first) through that connection.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

TABLES = ("customer", "staff", "product", "orders", "order_item", "support_ticket")


def row_counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.fixture(scope="session")
def dataset_counts(anonymiser_engine: sa.Engine) -> dict[str, int]:
    """Rows per table of the masked dataset, read before any test of this worker has run."""
    with anonymiser_engine.connect() as conn:
        return row_counts(conn)


@pytest.fixture
def conn(anonymiser_conn: sa.Connection, dataset_counts: dict[str, int]) -> sa.Connection:
    """``anonymiser_conn``, checked to start from the dataset exactly: no earlier test left a row behind."""
    assert row_counts(anonymiser_conn) == dataset_counts
    return anonymiser_conn
