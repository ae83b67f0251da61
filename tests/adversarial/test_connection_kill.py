"""The source connection killed mid-read (issue 11, item 9): pg_terminate_backend on PostgreSQL, KILL
CONNECTION on MariaDB, while the run reads the table. The run exits 3 with a message and no traceback,
prints no value, and the previous output at --out is unchanged, with no partial directory left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.adversarial.harness import snapshot
from tests.cli_runner import TEST_KEY

ROWS = 300_000
POLICY = ("version: 1\ntables:\n  event:\n    columns:\n      id: keep\n      kind: keep\n      email: {mask: email}\n")


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE event (id INTEGER PRIMARY KEY, kind VARCHAR(10), email VARCHAR(80))"))
        rows = [{"id": i, "kind": f"k{i % 7}", "email": f"user{i}@leaktest.co.nz"} for i in range(1, ROWS + 1)]
        conn.execute(sa.text("INSERT INTO event VALUES (:id, :kind, :email)"), rows)
    engine.dispose()


def _killer(url: str) -> Callable[[], int]:
    """Kills the run's connections to the source database while one reads the table; how many it killed."""
    engine = sa.create_engine(url)
    name = engine.url.database
    if engine.dialect.name == "postgresql":
        def kill() -> int:
            with engine.begin() as conn:
                return len(conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '%event%'"),
                    {"db": name}).fetchall())
        return kill

    def kill_mysql() -> int:
        with engine.begin() as conn:
            ids = conn.execute(sa.text("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :db "
                                       "AND ID <> CONNECTION_ID()"), {"db": name}).scalars().all()
            for ident in ids:
                conn.execute(sa.text(f"KILL CONNECTION {int(ident)}"))
            return len(ids)
    return kill_mysql


def _run(url: str, policy: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"ANONYMISER_KEY": TEST_KEY}
    return subprocess.Popen([sys.executable, "-m", "anonymiser", "run", str(policy), "--source", url, "--out", "out",
                             "--chunk-rows", "1000"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["pg_url", "mariadb_url"], ids=["postgresql", "mariadb"])
def test_a_source_connection_killed_mid_read(fixture: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(fixture)
    _fill(url)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    first = _run(url, policy, tmp_path)
    first.communicate(timeout=300)
    assert first.returncode == 0
    before = snapshot(tmp_path / "out")

    process = _run(url, policy, tmp_path)
    kill = _killer(url)
    deadline = time.monotonic() + 120
    killed = 0
    while not killed:   # as soon as the run is reading the table
        assert process.poll() is None, "the run finished before its connection could be killed"
        assert time.monotonic() < deadline
        if any(tmp_path.glob(".out.partial-*")):
            killed = kill()
        time.sleep(0.005)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, err
    assert "Traceback" not in out + err and "leaktest.co.nz" not in out + err, err
    assert "error:" in err, err
    assert snapshot(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "policy.yaml"]
    shutil.rmtree(tmp_path / "out")
