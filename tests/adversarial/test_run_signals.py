"""A run signalled at each of its stages (issue 11, item 9): SIGTERM and SIGINT exit 130 with no traceback
and leave nothing (the previous output at --out unchanged, no partial directory); SIGKILL leaves the
previous output unchanged and only a hidden partial directory, which the next run removes.

Stages are recognised by what the run has written to its partial directory: the directory itself (the plan
is made, the first table is being written), the SQL dump, the report.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.harness import make_event_source, snapshot
from tests.cli_runner import TEST_KEY

ROWS = 400_000
STAGES = {"writing-tables": "PARTIAL-RUN-IN-PROGRESS", "sql-dump": "sql", "report": "report"}
SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}   # SIGINT: tests/cli/test_interrupts.py


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return make_event_source(tmp_path_factory.mktemp("run-signals"), ROWS)


@pytest.fixture(scope="module")
def previous(source: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished output of the same run: what --out holds before the signalled run."""
    cwd = tmp_path_factory.mktemp("previous")
    process = _run(source, cwd)
    process.communicate(timeout=300)
    assert process.returncode == 0
    return cwd / "out"


def _run(source: tuple[str, Path], cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"ANONYMISER_KEY": TEST_KEY}
    url, policy = source
    return subprocess.Popen([sys.executable, "-m", "anonymiser", "run", str(policy), "--source", url, "--out", "out",
                             "--chunk-rows", "500", "--format", "parquet,sql"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(cwd: Path, marker: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any((partial / marker).exists() for partial in cwd.glob(".out.partial-*")):
            return
        assert process.poll() is None, f"the run finished before its {marker!r} stage could be interrupted"
        time.sleep(0.01)
    raise AssertionError(f"the run never reached its {marker!r} stage")


@pytest.mark.slow
@pytest.mark.parametrize("sig", list(SIGNALS.values()), ids=list(SIGNALS))
@pytest.mark.parametrize("stage", list(STAGES.values()), ids=list(STAGES))
def test_a_run_signalled_at_any_stage_loses_nothing(stage: str, sig: signal.Signals, tmp_path: Path,
                                                     source: tuple[str, Path], previous: Path) -> None:
    shutil.copytree(previous, tmp_path / "out")
    before = snapshot(tmp_path / "out")

    process = _run(source, tmp_path)
    _wait_for(tmp_path, stage, process)
    process.send_signal(sig)
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in out + err, err
    assert snapshot(tmp_path / "out") == before   # the previous output is untouched
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
        assert [p.name.startswith(".out.partial-") for p in tmp_path.iterdir() if p.name != "out"] == [True]
        rerun = _run(source, tmp_path)
        rerun.communicate(timeout=300)
        assert rerun.returncode == 0
    else:
        assert process.returncode == 130, err
        assert err.count("interrupted:") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # no partial directory left
