"""Injection through `subset.roots[].where`: nothing is written to the source, no value is printed.

The source session is read-only (anonymiser never writes to a source), so stacked statements,
data-modifying CTEs and functions that write all fail; the error shows no literal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.adversarial.harness import CUSTOMER_POLICY, PLANTED_ROWS, assert_clean, cli, write_policy


def _policy(tmp_path: Path, where: str) -> Path:
    escaped = where.replace("\\", "\\\\").replace('"', '\\"')
    return write_policy(tmp_path, CUSTOMER_POLICY.replace(
        "tables:", f"subset:\n  roots:\n    - table: customer\n      where: \"{escaped}\"\ntables:", 1))


def _rows(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pg_with_writer(planted_pg: str) -> Iterator[str]:
    engine = sa.create_engine(planted_pg)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE FUNCTION zap() RETURNS int LANGUAGE sql AS 'DELETE FROM customer; SELECT 1'"))
        conn.execute(sa.text("CREATE SEQUENCE ticket_seq"))
    engine.dispose()
    yield planted_pg


PG_ATTACKS = {
    "stacked-delete": "id = 1); DELETE FROM customer; --",
    "data-modifying-cte": "id IN (WITH d AS (DELETE FROM customer RETURNING id) SELECT id FROM d)",
    "function-that-deletes": "zap() = 1",
    "nextval-side-effect": "nextval('ticket_seq') > 0",
    "update-through-subquery": "id = (SELECT 1 FROM (UPDATE customer SET email = 'x' RETURNING 1) u)",
}


@pytest.mark.postgres
@pytest.mark.parametrize("where", list(PG_ATTACKS.values()), ids=list(PG_ATTACKS))
def test_postgres_where_cannot_write(tmp_path: Path, pg_with_writer: str, where: str) -> None:
    before = _rows(pg_with_writer)
    result = cli("run", str(_policy(tmp_path, where)), "--source", pg_with_writer, "--out", str(tmp_path / "out"))
    assert_clean(result, 2, expect="where clause")
    assert _rows(pg_with_writer) == before == len(PLANTED_ROWS)
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def mariadb_with_writer(planted_mariadb: str) -> Iterator[str]:
    engine = sa.create_engine(planted_mariadb)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE FUNCTION zap() RETURNS INT MODIFIES SQL DATA "
                             "BEGIN DELETE FROM customer; RETURN 1; END"))
    engine.dispose()
    yield planted_mariadb


MARIADB_ATTACKS = {
    "stacked-delete": "id = 1; DELETE FROM customer",
    "function-that-deletes": "zap() = 1",
    "error-based-exfiltration": "extractvalue(1, concat(0x7e, (SELECT email FROM customer LIMIT 1)))",
    "into-outfile": "id = 1 INTO OUTFILE '/tmp/anonymiser-adversarial-leak.txt'",
}


@pytest.mark.mariadb
@pytest.mark.parametrize("where", list(MARIADB_ATTACKS.values()), ids=list(MARIADB_ATTACKS))
def test_mariadb_where_cannot_write_or_leak(tmp_path: Path, mariadb_with_writer: str, where: str) -> None:
    result = cli("run", str(_policy(tmp_path, where)), "--source", mariadb_with_writer, "--out",
                 str(tmp_path / "out"))
    assert_clean(result, 2, expect="where clause")
    assert _rows(mariadb_with_writer) == len(PLANTED_ROWS)
    assert not Path("/tmp/anonymiser-adversarial-leak.txt").exists()


SQLITE_ATTACKS = {
    "stacked-attach": "id = 1); ATTACH DATABASE '/tmp/anonymiser-adversarial.db' AS x; --",
    "load-extension": "load_extension('/tmp/nothing') IS NULL",
    "stacked-delete": "1); DELETE FROM customer; SELECT (1",
}


@pytest.mark.parametrize("where", list(SQLITE_ATTACKS.values()), ids=list(SQLITE_ATTACKS))
def test_sqlite_where_cannot_write(tmp_path: Path, planted_sqlite: tuple[str, Path], where: str) -> None:
    source, _ = planted_sqlite
    result = cli("run", str(_policy(tmp_path, where)), "--source", source, "--out", str(tmp_path / "out"))
    assert_clean(result, 2, expect="where clause")
    assert _rows(source) == len(PLANTED_ROWS)
    assert not Path("/tmp/anonymiser-adversarial.db").exists()


def test_a_legitimate_where_with_colons_and_percent_signs_works(tmp_path: Path,
                                                               planted_sqlite: tuple[str, Path]) -> None:
    source, _ = planted_sqlite
    where = "email LIKE '%@leaktest.co.nz' AND notes NOT LIKE '%:x%' AND id >= 1"
    result = cli("run", str(_policy(tmp_path, where)), "--source", source, "--out", str(tmp_path / "out"))
    assert_clean(result, 0)
