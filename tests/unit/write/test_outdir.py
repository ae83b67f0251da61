from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from anonymiser.errors import OutputError
from anonymiser.write.outdir import PARTIAL_MARK, OutputDir


def test_output_appears_only_when_published(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out", "run1")
    work = out.prepare()
    (work / "manifest.json").write_text("{}")
    assert not (tmp_path / "out").exists()
    assert work.name.startswith(".out.partial-")
    final = out.publish()
    assert final == (tmp_path / "out").resolve()
    assert (final / "manifest.json").exists()
    assert not (final / PARTIAL_MARK).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_previous_output_is_replaced_whole(tmp_path: Path) -> None:
    first = OutputDir(tmp_path / "out", "run1")
    (first.prepare() / "manifest.json").write_text('{"run": 1}')
    (first.work / "old-only.txt").write_text("x")
    first.publish()
    second = OutputDir(tmp_path / "out", "run2")
    (second.prepare() / "manifest.json").write_text('{"run": 2}')
    second.publish()
    assert (tmp_path / "out" / "manifest.json").read_text() == '{"run": 2}'
    assert not (tmp_path / "out" / "old-only.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("content", ["notes.txt", "subdir"], ids=["user-file", "user-directory"])
def test_a_directory_that_is_not_ours_is_never_replaced(tmp_path: Path, content: str) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / content).mkdir() if content == "subdir" else (target / content).write_text("precious")
    with pytest.raises(OutputError, match="not an anonymiser output"):
        OutputDir(target, "run1").prepare()
    assert (target / content).exists()


def test_discard_removes_the_partial_directory(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out", "run1")
    out.prepare()
    out.discard()
    assert list(tmp_path.iterdir()) == []


def test_partials_of_dead_runs_are_cleaned_but_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / ".out.partial-dead"
    stale.mkdir()
    (stale / PARTIAL_MARK).write_text(f"pid {dead.stdout.strip()}\n")
    live = tmp_path / ".out.partial-live"
    live.mkdir()
    (live / PARTIAL_MARK).write_text("pid 1\n")
    OutputDir(tmp_path / "out", "run1").prepare()
    assert not stale.exists()
    assert live.exists()
