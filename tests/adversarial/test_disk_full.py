"""A disk filling up (issue 11, item 9): the write fails part-way, the process exits 2 with a file-system
message and no traceback, and nothing already there is lost: the previous output at --out, or the SQLite
target of a load, is unchanged, and no partial directory is left behind.

No tmpfs can be mounted without root, so the process gets a file-size limit (RLIMIT_FSIZE): every write
past it fails with EFBIG, as a full disk fails with ENOSPC, at the same places in our code.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.harness import PLANTED, snapshot
from tests.cli_runner import TEST_KEY

ROWS = 60_000
LIMIT_BYTES = 300_000


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    directory = tmp_path_factory.mktemp("disk-full")
    path = directory / "source.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, email TEXT, note TEXT)")
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                     "INSERT INTO event SELECT i, 'user' || i || '@leaktest.co.nz', hex(randomblob(40)) FROM n",
                     (ROWS,))
    conn.close()
    policy = directory / "policy.yaml"
    policy.write_text("version: 1\ntables:\n  event: {columns: {id: keep, email: {mask: email}, "
                      "note: {mask: redact}}}\n")
    return f"sqlite:///{path}", policy


def _anonymiser(*args: str, cwd: Path, limited: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    env |= {"ANONYMISER_KEY": TEST_KEY, "ANONYMISER_SPACY_MODEL": "blank", "NO_COLOR": "1", "COLUMNS": "200"}

    def disk_of(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return subprocess.run([sys.executable, "-m", "anonymiser", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=(lambda: disk_of(LIMIT_BYTES)) if limited else None)


def _assert_refused(result: subprocess.CompletedProcess[str], code: int, *reasons: str) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == code, text
    assert "Traceback" not in text, text
    assert any(reason in text for reason in reasons), text
    assert [v for v in PLANTED if v in text] == []
    assert "leaktest.co.nz" not in text, text


def test_a_run_on_a_full_disk_keeps_the_previous_output(tmp_path: Path, source: tuple[str, Path]) -> None:
    url, policy = source
    assert _anonymiser("run", str(policy), "--source", url, "--out", "out", cwd=tmp_path, limited=False).returncode == 0
    before = snapshot(tmp_path / "out")
    _assert_refused(_anonymiser("run", str(policy), "--source", url, "--out", "out", cwd=tmp_path, limited=True),
                    2, "the disk is full (or a file-size limit was reached)")
    assert snapshot(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # no partial directory left


def test_a_load_on_a_full_disk_leaves_the_target_as_it_was(tmp_path: Path, source: tuple[str, Path]) -> None:
    url, policy = source
    assert _anonymiser("run", str(policy), "--source", url, "--out", "out", cwd=tmp_path, limited=False).returncode == 0
    target = tmp_path / "target.sqlite"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE users_own (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO users_own VALUES (1)")
    conn.close()
    before = target.read_bytes()
    # the target is a database: its write error is exit 3, naming the table and what was undone
    _assert_refused(_anonymiser("load", "out", "--target", f"sqlite:///{target}", cwd=tmp_path, limited=True),
                    3, "table 'event': loading rows failed (OperationalError SQLITE_IOERR_WRITE)\nNothing was loaded",
                    "SQLITE_FULL")
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("users_own",)]
    conn.close()
    assert target.read_bytes() == before
