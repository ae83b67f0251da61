"""Issue 10 item 7: random tables drawn from each engine's type catalogue round-trip exactly.

Hypothesis picks a few column types and a few rows of values (NULLs, extremes, text with quotes,
backslashes, newlines, macrons and emoji), builds the table in the source, and the product reads it
(introspect → Arrow → Parquet) and loads it (``load_dataset``) into the same engine: every cell comes
back equal, and no step raises anything but a located error. Bounded: few examples, no deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymiser.load import load_dataset
from tests import dbs
from tests.unit.write_sql import dataset

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=6).map(lambda v: json.dumps(v, ensure_ascii=False))
DATES = st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))
DATETIMES = st.datetimes(dt.datetime(1000, 1, 1), dt.datetime(9999, 12, 30))

POSTGRES: dict[str, st.SearchStrategy[Any]] = {
    "smallint": st.integers(-2**15, 2**15 - 1), "bigint": st.integers(-2**63, 2**63 - 1),
    "numeric(20,6)": st.decimals(-10**13, 10**13, places=6, allow_nan=False),
    "numeric": st.decimals(allow_nan=True, allow_infinity=False, places=12).filter(lambda d: abs(d) < 10**20
                                                                                  if d.is_finite() else True),
    "double precision": st.floats(allow_nan=True, allow_infinity=True),
    "boolean": st.booleans(), "varchar(12)": TEXT, "text": TEXT, "bytea": st.binary(max_size=8),
    "date": DATES, "timestamp": DATETIMES,
    "timestamptz": DATETIMES.map(lambda d: d.replace(tzinfo=dt.UTC)), "time": st.times(),
    "interval": st.timedeltas(dt.timedelta(days=-9999), dt.timedelta(days=9999)), "uuid": st.uuids(),
    "jsonb": JSON, "json": JSON, "text[]": st.lists(st.none() | TEXT, max_size=3),
    "integer[]": st.lists(st.none() | st.integers(-2**31, 2**31 - 1), max_size=3),
    "inet": st.ip_addresses().map(str), "int4range": st.tuples(st.integers(-100, 0), st.integers(1, 100))
    .map(lambda r: f"[{r[0]},{r[1]})"),
}
MARIADB: dict[str, st.SearchStrategy[Any]] = {
    "TINYINT UNSIGNED": st.integers(0, 255), "INT": st.integers(-2**31, 2**31 - 1),
    "BIGINT UNSIGNED": st.integers(0, 2**64 - 1), "DECIMAL(20,6)": st.decimals(-10**13, 10**13, places=6,
                                                                                allow_nan=False),
    "DOUBLE": st.floats(allow_nan=False, allow_infinity=False, width=64), "VARCHAR(12)": TEXT, "TEXT": TEXT,
    "BLOB": st.binary(max_size=8), "DATE": DATES, "DATETIME(6)": DATETIMES,
    "TIME(6)": st.timedeltas(dt.timedelta(hours=-838), dt.timedelta(hours=838)),
    "YEAR": st.integers(1901, 2155), "BIT(8)": st.integers(0, 255),
    "ENUM('a','b','c d')": st.sampled_from(["a", "b", "c d"]),
    "SET('x','y','z')": st.sets(st.sampled_from(["x", "y", "z"])).map(lambda s: ",".join(sorted(s))),
    "JSON": JSON,
}
SQLITE: dict[str, st.SearchStrategy[Any]] = {
    "INTEGER": st.integers(-2**63, 2**63 - 1), "REAL": st.floats(allow_nan=False, allow_infinity=True),
    "TEXT": TEXT, "BLOB": st.binary(max_size=8), "NUMERIC(10,2)": st.integers(-10**6, 10**6),
    "DATE": st.one_of(DATES.map(str), TEXT),   # 'not a date' too: read as text
    "BOOLEAN": st.sampled_from([0, 1]), "ENUM": st.sampled_from(["small", "large"]),
    "": st.integers(-1000, 1000),   # no declared type (mixed storage classes: tests/fixtures/types/sqlite.sql)
    "DATETIME": DATETIMES.map(lambda d: d.isoformat(" ")),
}


def tables(types: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[tuple[list[str], list[list[Any]]]]:
    """A few column types and rows of values (None anywhere) for them."""
    def rows(columns: list[str]) -> st.SearchStrategy[tuple[list[str], list[list[Any]]]]:
        row = st.tuples(*(st.none() | types[c] for c in columns)).map(list)
        return st.tuples(st.just(columns), st.lists(row, min_size=1, max_size=4))

    return st.lists(st.sampled_from(sorted(types)), min_size=1, max_size=5, unique=True).flatmap(rows)


@pytest.fixture
def pg_pair() -> Iterator[tuple[str, str]]:
    with dbs.postgres_database() as source, dbs.postgres_database() as target:
        yield source, target


@pytest.fixture
def my_pair() -> Iterator[tuple[str, str]]:
    with dbs.mariadb_database() as source, dbs.mariadb_database() as target:
        yield source, target


def _copy(source: str, target: str, tmp: Path) -> None:
    out = tmp / uuid.uuid4().hex
    out.mkdir()
    dataset.from_database(source, out)
    load_dataset(out, target, replace=True)


@pytest.mark.slow
@SETTINGS
@given(table=tables(POSTGRES))
def test_random_postgresql_tables_round_trip(table: tuple[list[str], list[list[Any]]], pg_pair: tuple[str, str],
                                             tmp_path: Path) -> None:
    columns, rows = table
    source, target = pg_pair
    names = [f"c{i}" for i in range(len(columns))]
    with psycopg.connect(host=dbs.PG_HOST, user=dbs.PG_USER, dbname=dbs.database_name(source),
                         autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute("CREATE TABLE t (id serial PRIMARY KEY, " + ", ".join(
            f"{n} {c}" for n, c in zip(names, columns, strict=True)) + ")")
        for row in rows:
            conn.execute(f"INSERT INTO t ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                         [psycopg.types.json.Json(json.loads(v)) if v is not None and c in ("json", "jsonb")
                          else v for v, c in zip(row, columns, strict=True)])
    _copy(source, target, tmp_path)
    select = f"SELECT {', '.join(f'{n}::text' for n in names)} FROM t ORDER BY id"

    def read(url: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(host=dbs.PG_HOST, user=dbs.PG_USER, dbname=dbs.database_name(url)) as conn:
            return [tuple(r) for r in conn.execute(select).fetchall()]

    assert read(target) == read(source)


@pytest.mark.slow
@SETTINGS
@given(table=tables(MARIADB))
def test_random_mariadb_tables_round_trip(table: tuple[list[str], list[list[Any]]], my_pair: tuple[str, str],
                                          tmp_path: Path) -> None:
    columns, rows = table
    source, target = my_pair
    names = [f"c{i}" for i in range(len(columns))]

    def connect(url: str) -> Any:
        return pymysql.connect(host=dbs.MY_HOST, user=dbs.MY_USER, password="", database=dbs.database_name(url),
                               charset="utf8mb4", autocommit=True)

    conn = connect(source)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS t")
            cur.execute("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, " + ", ".join(
                f"{n} {c}" for n, c in zip(names, columns, strict=True)) + ") DEFAULT CHARSET=utf8mb4")
            for row in rows:
                cur.execute(f"INSERT INTO t ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})", row)
    finally:
        conn.close()
    _copy(source, target, tmp_path)

    def read(url: str) -> list[tuple[Any, ...]]:
        conn = connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT {', '.join(names)} FROM t ORDER BY id")
                return [tuple(r) for r in cur.fetchall()]
        finally:
            conn.close()

    assert read(target) == read(source)


@pytest.mark.slow
@SETTINGS
@given(table=tables(SQLITE))
def test_random_sqlite_tables_round_trip(table: tuple[list[str], list[list[Any]]], tmp_path: Path) -> None:
    columns, rows = table
    names = [f"c{i}" for i in range(len(columns))]
    work = tmp_path / uuid.uuid4().hex
    work.mkdir()
    source, target = work / "source.sqlite", work / "target.sqlite"
    conn = sqlite3.connect(source)
    try:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, " + ", ".join(
            f"{n} {c}" for n, c in zip(names, columns, strict=True)) + ")")
        conn.executemany(f"INSERT INTO t ({', '.join(names)}) VALUES ({', '.join(['?'] * len(names))})", rows)
        conn.commit()
    finally:
        conn.close()
    _copy(f"sqlite:///{source}", f"sqlite:///{target}", work)
    select = f"SELECT {', '.join(f'{n}, typeof({n})' for n in names)} FROM t ORDER BY id"

    def read(path: Path) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path)
        try:
            return [tuple(r) for r in conn.execute(select).fetchall()]
        finally:
            conn.close()

    assert read(target) == read(source)


