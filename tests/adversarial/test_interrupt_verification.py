"""An interrupt while a forked process works beside the verification (the same-row checks, the SQL dump) stops
that process at once and discards the partial output, exactly as an interrupt anywhere else in a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.harness import make_event_source
from tests.adversarial.test_killed_pool import _alive, _children_of, reap
from tests.cli_runner import TEST_KEY

ROWS = 300_000


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    url, policy = make_event_source(tmp_path_factory.mktemp("verification-interrupt"), ROWS)
    policy.write_text("version: 1\ntables:\n  event: {columns: {id: keep, kind: {mask: hash}, amount: keep}}\n")
    return url, policy


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("formats", ["parquet", "parquet,sql"], ids=["same-row-checks", "sql-dump"])
def test_an_interrupt_during_the_verification_stops_the_process_beside_it(
        formats: str, sig: signal.Signals, tmp_path: Path, source: tuple[str, Path]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"ANONYMISER_KEY": TEST_KEY}
    url, policy = source
    process = subprocess.Popen([sys.executable, "-m", "anonymiser", "--json", "run", str(policy), "--source", url,
                                "--out", "out", "--format", formats, "--jobs", "2"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    beside: set[int] = set()
    try:
        assert process.stderr is not None
        masking: set[int] = set()
        for line in process.stderr:      # the masking pool's workers, forked before the table is read
            masking |= _children_of(process.pid)
            if '"table_written"' in line:
                break
        deadline = time.monotonic() + 60
        while not beside and time.monotonic() < deadline and process.poll() is None:
            beside = _children_of(process.pid) - masking     # the first process forked for the verification
            time.sleep(0.005)
        assert beside, "the run ended before its verification forked a process"
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "Traceback" not in err and err.count('"interrupted"') <= 1, err
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in beside) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in beside if _alive(p)], "a process forked for the verification outlived the run"
        assert list(tmp_path.iterdir()) == [], "the partial output was left behind"
    finally:
        reap(process, beside)
