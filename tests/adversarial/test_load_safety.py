"""`load` never damages the target (issue 11, item 5): --replace drops only the dataset's own tables,
never cascades into the user's, refuses when their foreign keys point at the dataset; a FAIL (or
unverified) dataset is refused; an interrupted or killed load leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from anonymiser.schema import ColumnInfo, ForeignKey, TableInfo
from tests.adversarial.harness import assert_clean, cli
from tests.cli_runner import TEST_KEY
from tests.integration.test_dump import TARGET_FIXTURE
from tests.unit.write_sql import dataset

CHILD_ROWS = 150_000
ENGINES = list(TARGET_FIXTURE)


def _tables(children: int) -> dict[str, tuple[TableInfo, dict[str, list[object]]]]:
    parent = TableInfo(name="parent", columns=(ColumnInfo(name="id", kind="integer", sql_type="integer",
                                                          nullable=False, bits=32),
                                               ColumnInfo(name="label", kind="string", sql_type="varchar(20)",
                                                          length=20)), primary_key=("id",))
    child = TableInfo(name="child", columns=(ColumnInfo(name="id", kind="integer", sql_type="integer", nullable=False,
                                                        bits=32),
                                             ColumnInfo(name="parent_id", kind="integer", sql_type="integer", bits=32),
                                             ColumnInfo(name="note", kind="string", sql_type="varchar(40)",
                                                        length=40)),
                      primary_key=("id",),
                      foreign_keys=(ForeignKey(columns=("parent_id",), ref_table="parent", ref_columns=("id",),
                                               name="child_parent_fk"),))
    return {
        "parent": (parent, {"id": list(range(1, 1001)), "label": [f"p{i}" for i in range(1, 1001)]}),
        "child": (child, {"id": list(range(1, children + 1)),
                          "parent_id": [i % 1000 + 1 for i in range(children)],
                          "note": [f"masked note {i}" for i in range(children)]}),
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verified dataset (PASS) big enough to interrupt: 1,000 parents, 150,000 children."""
    directory = tmp_path_factory.mktemp("big-dataset")
    dataset.build(directory, _tables(CHILD_ROWS))
    return directory


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tables with 100 children: what the target holds before a --replace."""
    directory = tmp_path_factory.mktemp("small-dataset")
    dataset.build(directory, _tables(100))
    return directory


def _engine_state(url: str) -> dict[str, object]:
    """Tables, their row counts and foreign keys: what a load must leave as it was."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            state: dict[str, object] = {}
            for table in sorted(inspector.get_table_names()):
                rows = conn.execute(sa.text(f'SELECT COUNT(*) FROM {conn.dialect.identifier_preparer.quote(table)}'))
                fks = sorted((tuple(f["constrained_columns"]), f["referred_table"])
                             for f in inspector.get_foreign_keys(table))
                state[table] = (rows.scalar_one(), fks)
            return state
    finally:
        engine.dispose()


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ENGINES)
def test_replace_refuses_when_a_user_table_references_the_dataset(engine: str, small: Path,
                                                                   request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[engine])
    assert_clean(cli("load", str(small), "--target", target), 0)
    _sql(target, "CREATE TABLE audit (id INTEGER PRIMARY KEY, parent_id INTEGER, "
                 "CONSTRAINT audit_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id))",
         "INSERT INTO audit VALUES (1, 7)")
    before = _engine_state(target)
    assert_clean(cli("load", str(small), "--target", target, "--replace"), 2, expect="'audit'.*references 'parent'")
    assert _engine_state(target) == before


@pytest.mark.postgres
def test_replace_never_cascades_into_a_user_view(small: Path, pg_url: str) -> None:
    assert_clean(cli("load", str(small), "--target", pg_url), 0)
    _sql(pg_url, "CREATE VIEW busy_parents AS SELECT parent_id, COUNT(*) AS n FROM child GROUP BY parent_id")
    before = _engine_state(pg_url)
    result = cli("load", str(small), "--target", pg_url, "--replace")
    assert_clean(result, 3, expect="depend")
    assert _engine_state(pg_url) == before
    _sql(pg_url, "SELECT * FROM busy_parents")   # the user's view is still there


@pytest.mark.parametrize("report", [
    {"verdict": "FAIL", "verification": {"failures": [{"reason": "leaked_value", "gate": "leaks"}]}},
    None,
    {"verdict": "maybe"},
], ids=["fail-verdict", "no-report", "unreadable-verdict"])
def test_an_unverified_dataset_is_refused_unless_allowed(report: dict[str, object] | None, tmp_path: Path,
                                                         sqlite_url: str) -> None:
    dataset.nasty(tmp_path)
    path = tmp_path / "report" / "report.json"
    path.unlink()
    if report is not None:
        path.write_text(json.dumps(report))
    expect = "leaked_value" if report and report["verdict"] == "FAIL" else "no verification verdict"
    assert_clean(cli("load", str(tmp_path), "--target", sqlite_url), 2, expect=expect + ".*--allow-failed")
    assert not Path(sa.make_url(sqlite_url).database or "").exists() or _engine_state(sqlite_url) == {}
    assert_clean(cli("load", str(tmp_path), "--target", sqlite_url, "--allow-failed"), 0)


# --- interruptions: the real process, signalled while it loads rows --------------------------------

def _loading(engine: str, url: str) -> Callable[[], bool]:
    """True once the load is writing rows (COPY / INSERT running, or SQLite's journal open)."""
    if engine == "sqlite":
        journal = Path((sa.make_url(url).database or "") + "-journal")
        return journal.exists
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    query = ("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = :db AND query ILIKE 'COPY%' AND state = 'active'"
             if engine == "postgresql" else
             "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = :db AND INFO LIKE 'INSERT%'")
    admin = sa.create_engine(url.replace(name, "postgres" if engine == "postgresql" else "information_schema"))

    def busy() -> bool:
        with admin.connect() as conn:
            return bool(conn.execute(sa.text(query), {"db": name}).scalar_one())

    return busy


def _interrupted_load(engine: str, target: str, directory: Path, sig: signal.Signals,
                      *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"ANONYMISER_KEY": TEST_KEY}
    process = subprocess.Popen([sys.executable, "-m", "anonymiser", "load", str(directory), "--target", target,
                                *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    busy = _loading(engine, target)
    deadline = time.monotonic() + 60
    while not busy():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the load never started writing rows"
        time.sleep(0.02)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT, "SIGKILL": signal.SIGKILL}


@pytest.mark.slow
@pytest.mark.parametrize("sig", list(SIGNALS.values()), ids=list(SIGNALS))
@pytest.mark.parametrize("engine", ENGINES)
def test_an_interrupted_load_leaves_the_target_as_it_was(engine: str, sig: signal.Signals, big: Path,
                                                         request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[engine])
    _sql(target, "CREATE TABLE users_own_table (id INTEGER PRIMARY KEY)", "INSERT INTO users_own_table VALUES (1)")
    before = _engine_state(target)
    result = _interrupted_load(engine, target, big, sig)
    assert "Traceback" not in result.stderr, result.stderr
    if sig == signal.SIGKILL:
        assert result.returncode == -signal.SIGKILL
        if engine == "mysql":   # DDL commits in MySQL: the empty tables of a killed load remain, no row does
            state = _engine_state(target)
            assert all(state[t] == (0, state[t][1]) for t in state if t not in before)
            assert_clean(cli("load", str(big), "--target", target), 0)   # and a new load completes
            return
    elif result.returncode == 0:
        # Sent while rows were being written (SQLite: its journal open, which a small transaction opens only as
        # it commits), but landed after the commit (the handler runs when the driver call returns): the load is
        # whole, never mixed, and the user's own table untouched.
        state = _engine_state(target)
        assert {t: state[t][0] for t in state if t not in before} == {"child": CHILD_ROWS, "parent": 1_000}
        assert {t: state[t] for t in before} == before
        return
    else:
        assert result.returncode == 130, result.stderr
    assert _engine_state(target) == before


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_an_interrupted_replace_restores_the_previous_tables(engine: str, big: Path, small: Path,
                                                            request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[engine])
    assert_clean(cli("load", str(small), "--target", target), 0)   # the previous copy, smaller than the new
    before = _engine_state(target)
    result = _interrupted_load(engine, target, big, signal.SIGTERM, "--replace")
    assert "Traceback" not in result.stderr, result.stderr
    if result.returncode == 0:
        # The signal was sent while the server still showed the last COPY as active, but landed after the
        # load's commit (the handler runs when the driver call returns): then the load is whole, never mixed.
        assert "replaced 2 table(s)" in result.stdout + result.stderr, result.stderr
        assert {t: state[0] for t, state in _engine_state(target).items()} == {"child": CHILD_ROWS, "parent": 1_000}
        return
    assert result.returncode == 130, result.stderr
    assert _engine_state(target) == before
