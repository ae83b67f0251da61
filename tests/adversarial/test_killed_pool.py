"""A run killed with SIGKILL leaves no worker behind (trial F36: the OOM killer or a CI time-out's kill -9
took the parent, and its --jobs workers waited forever, holding memory and an inherited DB socket)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from anonymiser.demo import build_demo_database
from tests.cli_runner import TEST_KEY


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_a_killed_run(tmp_path: Path) -> None:
    source = tmp_path / "demo.sqlite"
    build_demo_database(source, customers=3000)
    policy = tmp_path / "policy.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    env["ANONYMISER_KEY"] = TEST_KEY
    scan = subprocess.run([sys.executable, "-m", "anonymiser", "scan", f"sqlite:///{source}", "--out", str(policy)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert scan.returncode == 0, scan.stderr
    process = subprocess.Popen([sys.executable, "-m", "anonymiser", "--json", "run", str(policy), "--source",
                                f"sqlite:///{source}", "--out", str(tmp_path / "out"), "--jobs", "2",
                                "--chunk-rows", "500"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    workers: set[int] = set()
    try:
        assert process.stderr is not None
        for line in process.stderr:              # the workers are forked before the first table is read
            workers = _children_of(process.pid)
            if '"table_written"' in line or len(workers) >= 2:
                break
        assert len(workers) >= 2, "the run ended before its pool started"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _alive(w)]
    finally:
        reap(process, workers)


def reap(process: subprocess.Popen[str], workers: set[int]) -> None:
    """Never leave the run or one of its workers behind, even when the test fails."""
    if process.poll() is None:
        process.kill()
        process.communicate()
    for worker in workers:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


INTERRUPTED_WHILE_STARTING = """
import os, signal, sys, threading, time
from anonymiser import forked

signal.signal(signal.SIGINT, signal.default_int_handler)
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    forked.pool(2, time.sleep, (30,))      # workers still starting (their initializer) when Ctrl-C lands
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_an_interrupt_while_a_pool_starts_stops_its_workers() -> None:
    """Ctrl-C inside forked.pool (before it returned the executor) left its workers running: nobody could stop
    them, and the exit waited for them (a run interrupted as its masking-inputs reader started hung)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_STARTING], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "interrupted", result.stderr
    assert time.monotonic() - started < 15, "the exit waited for the workers"
