"""Every read of a PostgreSQL source in one run sees one moment (one exported snapshot), whichever connection
reads: the main one, the bulk (ADBC) reader, a forked reader with its own engine, or a forked reconnect. On a
live database, rows written during a run must not reach the copy half: a child without its parent. (A MariaDB
source gets the same guarantee from one transaction on one connection: the end-to-end test runs on both.)"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from anonymiser import forked
from anonymiser.errors import SourceError
from anonymiser.schema import TableInfo
from anonymiser.source.bulk import SourceReader
from anonymiser.source.connect import connect, reconnect
from anonymiser.source.introspect import introspect
from anonymiser.source.snapshot import active_snapshot, shared_snapshot
from tests import dbs
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow   # real PostgreSQL, real CLI

PAIRS = 300


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _schema(url: str) -> None:
    dbs.run_psql(url, "CREATE TABLE parent (id integer PRIMARY KEY, full_name text NOT NULL); "
                      "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent(id), "
                      "email text); "
                      f"INSERT INTO parent SELECT i, 'Aroha Ngata ' || i FROM generate_series(1, {PAIRS}) i; "
                      "INSERT INTO child SELECT i, i, 'aroha' || i || '@example.co.nz' "
                      f"FROM generate_series(1, {PAIRS}) i;")


def _table(conn: sa.Connection, name: str) -> TableInfo:
    table = introspect(conn).tables[name]
    conn.rollback()
    return table


def _rows_read_in_a_fork(url: str) -> tuple[int, int]:
    """A forked reader with an engine of its own (as the read-ahead of the masking inputs): rows read in bulk
    and by its SQLAlchemy connection."""
    with connect(url) as conn, SourceReader(conn) as reader:
        counted = int(conn.execute(sa.text("SELECT count(*) FROM parent")).scalar_one())
        return sum(b.num_rows for b in reader.read_table(_table(conn, "parent"))), counted


def test_every_connection_reads_the_snapshot_taken_before_a_write(pg_url: str) -> None:
    _schema(pg_url)
    with connect(pg_url) as conn, shared_snapshot(conn, pytest.fail) as snapshot, SourceReader(conn) as reader:
        assert snapshot is not None and active_snapshot(conn.engine) == snapshot
        with psycopg.connect(_plain(pg_url), autocommit=True) as writer:
            writer.execute("INSERT INTO parent VALUES (100000, 'Mere Walker')")
            writer.execute("DELETE FROM child WHERE id = 1")
        # the main connection (SQLAlchemy), in a new transaction as well as the first
        assert conn.execute(sa.text("SELECT count(*) FROM parent")).scalar_one() == PAIRS
        conn.commit()
        assert conn.execute(sa.text("SELECT count(*) FROM child")).scalar_one() == PAIRS
        # the bulk reader
        assert reader.method.startswith("bulk")
        assert sum(b.num_rows for b in reader.read_table(_table(conn, "parent"))) == PAIRS
        assert sum(b.num_rows for b in reader.read_table(_table(conn, "child"))) == PAIRS
        if forked.can_fork():
            with forked.beside(lambda: _rows_read_in_a_fork(pg_url)) as read_in_fork:
                assert read_in_fork() == (PAIRS, PAIRS)

            def reconnected() -> int:
                with reconnect(conn) as own:
                    return int(own.execute(sa.text("SELECT count(*) FROM parent")).scalar_one())

            with forked.beside(reconnected) as in_fork:
                assert in_fork() == PAIRS
    # after the block, connections read the present again
    with connect(pg_url) as conn:
        assert active_snapshot(conn.engine) is None
        assert conn.execute(sa.text("SELECT count(*) FROM parent")).scalar_one() == PAIRS + 1


def test_a_source_that_cannot_export_a_snapshot_is_read_as_before_with_a_warning(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _schema(pg_url)
    warnings: list[str] = []
    with connect(pg_url) as conn:
        # a pooler in transaction mode, a server that refuses: simulated by a failing export
        raw = conn.engine.raw_connection

        class Refusing:
            def __init__(self, cursor: Any) -> None:
                self._cursor = cursor

            def execute(self, sql: str, *args: Any) -> Any:
                if "pg_export_snapshot" in sql:
                    raise psycopg.errors.FeatureNotSupported("cannot export a snapshot here")
                return self._cursor.execute(sql, *args)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._cursor, name)

        def refusing() -> Any:
            holder = raw()
            cursor = holder.cursor
            holder.cursor = lambda: Refusing(cursor())  # type: ignore[method-assign]
            return holder

        monkeypatch.setattr(conn.engine, "raw_connection", refusing)
        with shared_snapshot(conn, warnings.append) as snapshot:
            assert snapshot is None and active_snapshot(conn.engine) is None
            assert conn.execute(sa.text("SELECT count(*) FROM parent")).scalar_one() == PAIRS
    assert len(warnings) == 1 and "snapshot" in warnings[0] and "Aroha" not in warnings[0]


def _pg_pairs(url: str, stop: threading.Event, written: list[int]) -> None:
    with psycopg.connect(_plain(url), autocommit=True) as writer:
        n = 1_000_000
        while not stop.is_set():
            n += 1
            with writer.transaction():
                writer.execute("INSERT INTO parent VALUES (%s, 'Kiri Walker')", (n,))
                writer.execute("INSERT INTO child VALUES (%s, %s, 'kiri@example.org')", (n, n))
            if n % 2 == 0:
                with writer.transaction():
                    writer.execute("DELETE FROM child WHERE id = %s", (n - 1,))
                    writer.execute("DELETE FROM parent WHERE id = %s", (n - 1,))
            written[0] += 1


def _mariadb_pairs(url: str, stop: threading.Event, written: list[int]) -> None:
    import pymysql

    writer = pymysql.connect(host=dbs.MY_HOST, port=dbs.MY_PORT, user=dbs.MY_USER, password="",
                             database=dbs.database_name(url), autocommit=False)
    try:
        cursor, n = writer.cursor(), 1_000_000
        while not stop.is_set():
            n += 1
            cursor.execute("INSERT INTO parent VALUES (%s, 'Kiri Walker')", (n,))
            cursor.execute("INSERT INTO child VALUES (%s, %s, 'kiri@example.org')", (n, n))
            writer.commit()
            if n % 2 == 0:
                cursor.execute("DELETE FROM child WHERE id = %s", (n - 1,))
                cursor.execute("DELETE FROM parent WHERE id = %s", (n - 1,))
                writer.commit()
            written[0] += 1
    finally:
        writer.close()


def _mariadb_schema(url: str) -> None:
    rows = "".join(f"INSERT INTO parent VALUES ({i}, 'Aroha Ngata {i}'); "
                   f"INSERT INTO child VALUES ({i}, {i}, 'aroha{i}@example.co.nz'); " for i in range(1, PAIRS + 1))
    dbs.run_mariadb(url, "CREATE TABLE parent (id INT PRIMARY KEY, full_name VARCHAR(80) NOT NULL); "
                    "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL REFERENCES parent(id), "
                    "email VARCHAR(80)); " + rows)


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_a_run_on_a_source_written_meanwhile_copies_one_moment(engine: str, tmp_path: Path,
                                                               request: pytest.FixtureRequest) -> None:
    """A writer adds and removes parent/child pairs (each pair in one transaction) all through the run: the copy
    holds whole pairs only, and the foreign-key gate passes. PostgreSQL: every connection reads the exported
    snapshot. MariaDB: the tables are read on one connection in one REPEATABLE READ transaction."""
    url = request.getfixturevalue("pg_url" if engine == "postgresql" else "mariadb_url")
    (_schema if engine == "postgresql" else _mariadb_schema)(url)
    policy = tmp_path / "policy.yaml"
    assert anonymiser("scan", url, "--out", str(policy), env={"ANONYMISER_SPACY_MODEL": "blank"}).returncode == 0
    stop, written = threading.Event(), [0]
    writer = _pg_pairs if engine == "postgresql" else _mariadb_pairs
    thread = threading.Thread(target=writer, args=(url, stop, written), daemon=True)
    thread.start()
    try:
        out = tmp_path / "out"
        run = anonymiser("--json", "run", str(policy), "--source", url, "--out", str(out), "--jobs", "2",
                         env={"ANONYMISER_SPACY_MODEL": "blank"})
    finally:
        stop.set()
        thread.join(timeout=30)
    assert written[0] > 50, "the writer did not run during the run"
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    import pyarrow.parquet as pq

    parents = set(pq.read_table(out / "parquet" / "parent.parquet", columns=["id"]).column("id").to_pylist())
    children = pq.read_table(out / "parquet" / "child.parquet", columns=["id", "parent_id"]).to_pydict()
    assert set(children["parent_id"]) <= parents
    # whole pairs: the same ids on both sides (each pair is written and removed in one transaction)
    assert set(children["id"]) == parents
    report = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "PASS"


def test_the_snapshot_outlives_a_server_idle_in_transaction_timeout(pg_url: str) -> None:
    """The holding session idles in its transaction all run: a server-wide idle timeout must not end it."""
    import time

    _schema(pg_url)
    with psycopg.connect(_plain(pg_url), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE \"{pg_url.rsplit('/', 1)[1]}\" SET idle_in_transaction_session_timeout = '1s'")
    with connect(pg_url) as conn, shared_snapshot(conn, pytest.fail) as snapshot:
        assert snapshot is not None
        time.sleep(2.5)
        with connect(pg_url) as other:     # a new connection imports the snapshot: its holder must still be open
            assert other.execute(sa.text("SELECT count(*) FROM parent")).scalar_one() == PAIRS


def test_a_connection_that_cannot_import_the_snapshot_is_a_source_error_naming_the_pooler(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a pooler in transaction mode the export works but another session cannot import it."""
    from anonymiser.source import bulk
    from anonymiser.source import snapshot as snapshot_mod

    _schema(pg_url)
    gone = ("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "SET TRANSACTION SNAPSHOT '00000003-1-1'")
    with connect(pg_url) as conn, shared_snapshot(conn, pytest.fail):
        parent = _table(conn, "parent")
        monkeypatch.setattr(snapshot_mod, "import_statements", lambda _: gone)
        monkeypatch.setattr(bulk, "import_statements", lambda _: gone)
        with pytest.raises(SourceError) as by_sqlalchemy:
            conn.execute(sa.text("SELECT count(*) FROM parent"))
        conn.rollback()
        with SourceReader(conn) as reader, pytest.raises(SourceError) as by_bulk:
            list(reader.read_table(parent))
    assert "a source connection cannot read the run's snapshot" in str(by_sqlalchemy.value)
    assert "the bulk reader cannot read the run's snapshot" in str(by_bulk.value)
    for err in (by_sqlalchemy.value, by_bulk.value):
        assert err.hint and "pooler" in err.hint


def test_a_server_refusing_the_holding_connection_is_read_as_before_with_a_warning(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot needs one more connection; a server at its connection limit refuses it: the run goes on."""
    _schema(pg_url)
    warnings: list[str] = []
    with connect(pg_url) as conn:
        def refused() -> Any:
            raise sa.exc.OperationalError("connect", {}, psycopg.OperationalError("too many clients already"))

        monkeypatch.setattr(conn.engine, "raw_connection", refused)
        with shared_snapshot(conn, warnings.append) as snapshot:
            assert snapshot is None and active_snapshot(conn.engine) is None
            assert conn.execute(sa.text("SELECT count(*) FROM parent")).scalar_one() == PAIRS
    assert len(warnings) == 1 and "OperationalError" in warnings[0] and "too many" not in warnings[0]
