"""A killed or interrupted run never leaves a directory that looks finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.harness import make_event_source
from tests.cli_runner import TEST_KEY, anonymiser

ROWS = 400_000


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return make_event_source(tmp_path_factory.mktemp("big"), ROWS)


def _start(source: str, policy: Path, out: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"ANONYMISER_KEY": TEST_KEY}
    return subprocess.Popen([sys.executable, "-m", "anonymiser", "run", str(policy), "--source", source, "--out",
                             str(out), "--chunk-rows", "500"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_partial_data(parent: Path, process: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for partial in parent.glob(".out.partial-*"):
            if list(partial.glob("parquet/*.parquet")):
                return partial
        assert process.poll() is None, "the run finished before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("no partial output appeared")


@pytest.mark.slow
def test_a_killed_run_leaves_nothing_that_looks_finished(tmp_path: Path, big_source: tuple[str, Path]) -> None:
    source, policy = big_source
    out = tmp_path / "out"
    process = _start(source, policy, out)
    partial = _wait_for_partial_data(tmp_path, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert not out.exists()
    assert partial.name.startswith(".out.partial-")   # hidden, and named as what it is
    assert (partial / "PARTIAL-RUN-IN-PROGRESS").exists()

    rerun = anonymiser("run", str(policy), "--source", source, "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # the dead run's partial was removed


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_run_cleans_up_after_itself(tmp_path: Path, big_source: tuple[str, Path],
                                                   sig: signal.Signals) -> None:
    source, policy = big_source
    process = _start(source, policy, tmp_path / "out")
    _wait_for_partial_data(tmp_path, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []
