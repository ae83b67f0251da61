"""`load` never writes into the database the copy was made from (trial F26: `load --replace` with the
source's URL replaced production tables by the masked 10% sample, exit 0).

The target is recognised whatever URL reaches it: another host spelling (localhost / 127.0.0.1), a relative
SQLite path. Each case: exit 2, the reason named, no planted value printed, the source unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import dbs
from tests.adversarial.harness import CUSTOMER_DDL, PLANTED_ROWS, assert_clean, cli, make_sqlite_source, write_policy


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(CUSTOMER_DDL))
        conn.execute(sa.text("INSERT INTO customer VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                     [dict(zip("abcdefg", row, strict=True)) for row in PLANTED_ROWS])
    engine.dispose()


def _rows(url: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM customer ORDER BY id"))]
    engine.dispose()
    return rows


def _other_spelling(url: str) -> str:
    return url.replace("127.0.0.1", "localhost")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mysql"])
@pytest.mark.parametrize("replace", [False, True], ids=["load", "replace"])
def test_load_refuses_the_copys_own_source(engine: str, replace: bool, tmp_path: Path,
                                           request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "sqlite":
        source = make_sqlite_source(tmp_path / "prod.sqlite")
        monkeypatch.chdir(tmp_path)
        target = "sqlite:///prod.sqlite"                 # the same file by a relative path
    else:
        source = request.getfixturevalue({"postgresql": "pg_url", "mysql": "mariadb_url"}[engine])
        _fill(source)
        target = _other_spelling(source)
    before = _rows(source)
    out = tmp_path / "out"
    assert_clean(cli("run", str(write_policy(tmp_path)), "--source", source, "--out", str(out)), 0)
    args = ["load", str(out), "--target", target, *(["--replace"] if replace else [])]
    message = assert_clean(cli(*args), 2)
    assert "is the database this copy was made from" in message
    assert _rows(source) == before


def test_a_copy_loads_into_another_database_of_the_same_server(tmp_path: Path, pg_url: str) -> None:
    """The refusal is about the one database, not the server: a staging database beside it loads."""
    _fill(pg_url)
    out = tmp_path / "out"
    assert_clean(cli("run", str(write_policy(tmp_path)), "--source", pg_url, "--out", str(out)), 0)
    with dbs.postgres_database() as staging:
        assert_clean(cli("load", str(out), "--target", staging), 0)
        assert len(_rows(staging)) == len(PLANTED_ROWS)
