"""The sample databases load on every server: the other integration tests stand on this."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

CHINOOK_COUNTS = {"artist": 275, "album": 347, "track": 3503, "customer": 59, "employee": 8, "invoice": 412}


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = {n.lower(): n for n in sa.inspect(conn).get_table_names()}
            quoted = conn.dialect.identifier_preparer.quote(names[table])
            return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {quoted}")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("fixture", ["chinook_sqlite", "chinook_pg", "chinook_mariadb"])
def test_chinook_loads(fixture: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(fixture)
    for table, expected in CHINOOK_COUNTS.items():
        assert _count(url, table) == expected, table


@pytest.mark.parametrize("fixture", ["northwind_sqlite", "northwind_pg"])
def test_northwind_loads(fixture: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(fixture)
    assert _count(url, "orders") == 830
