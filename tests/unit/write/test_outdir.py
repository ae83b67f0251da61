from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from anonymiser.errors import OutputError
from anonymiser.schema import SchemaInfo
from anonymiser.write.manifest import FileEntry, Manifest, SourceFingerprint, TableEntry
from anonymiser.write.outdir import PARTIAL_MARK, OutputDir, foreign_files, private_files

RUN_1, RUN_2 = "20250101T000000Z-0000aaaa", "20250102T000000Z-0000bbbb"


def write_output(directory: Path, run_id: str = RUN_1, *, files: tuple[str, ...] = ("parquet/t.parquet",)) -> None:
    """A minimal output as a run writes it: the manifest lists its data files."""
    manifest = Manifest(
        run_id=run_id, started_at="2025-01-01T00:00:00+00:00", key_id="abcd1234",
        source=SourceFingerprint(dialect="sqlite", schema_hash="0" * 64),
        schema=SchemaInfo(dialect="sqlite", tables={}), load_order=["t"], formats=["parquet"],
        tables={"t": TableEntry(rows=0, files=[FileEntry(path=f, sha256="0" * 64, bytes=0) for f in files])},
    )
    for name in files:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(b"data")
    (directory / "policy.yaml").write_text("version: 1\n")
    (directory / "report").mkdir(exist_ok=True)
    (directory / "report" / "report.json").write_text("{}")
    manifest.write(directory)


def test_output_appears_only_when_published(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out", RUN_1)
    work = out.prepare()
    write_output(work)
    assert not (tmp_path / "out").exists()
    assert work.name.startswith(".out.partial-")
    final = out.publish()
    assert final == (tmp_path / "out").resolve()
    assert (final / "manifest.json").exists()
    assert not (final / PARTIAL_MARK).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_previous_output_is_replaced_whole(tmp_path: Path) -> None:
    first = OutputDir(tmp_path / "out", RUN_1)
    write_output(first.prepare(), RUN_1, files=("parquet/t.parquet", "parquet/old-only.parquet"))
    first.publish()
    second = OutputDir(tmp_path / "out", RUN_2)
    write_output(second.prepare(), RUN_2)
    second.publish()
    assert Manifest.read(tmp_path / "out").run_id == RUN_2
    assert not (tmp_path / "out" / "parquet" / "old-only.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _user_files(target: Path) -> None:
    (target / "index.html").write_text("<h1>my site</h1>")
    (target / "src").mkdir()
    (target / "src" / "app.js").write_text("precious")


REFUSED = [
    pytest.param(lambda t: (t / "notes.txt").write_text("precious"), "not an anonymiser output", id="user-file"),
    pytest.param(lambda t: (t / "subdir").mkdir(), "not an anonymiser output", id="user-directory"),
    pytest.param(lambda t: (_user_files(t), (t / "manifest.json").write_text("{}")), "not an anonymiser output",
                 id="web-project-with-a-manifest.json"),
    pytest.param(lambda t: (write_output(t), _user_files(t)), "files it did not write",
                 id="our-output-plus-user-files"),
    pytest.param(lambda t: (write_output(t), (t / "parquet" / "thesis.docx").write_text("x")),
                 "files it did not write", id="user-file-inside-parquet"),
    pytest.param(lambda t: (write_output(t), (t / ".git").mkdir(), (t / ".git" / "HEAD").write_text("x")),
                 "files it did not write", id="hidden-git-directory"),
    pytest.param(lambda t: (write_output(t, "not-a-run-id")), "not an anonymiser output", id="manifest-without-run-id"),
]


@pytest.mark.parametrize(("fill", "message"), REFUSED)
def test_a_directory_that_is_not_provably_ours_is_never_touched(tmp_path: Path, fill: object, message: str) -> None:
    target = tmp_path / "out"
    target.mkdir()
    fill(target)  # type: ignore[operator]
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    with pytest.raises(OutputError, match=message):
        OutputDir(target, RUN_2).prepare()
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_symlink_at_out_is_held_to_the_same_rule(tmp_path: Path) -> None:
    real = tmp_path / "project"
    real.mkdir()
    _user_files(real)
    link = tmp_path / "out"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="symlink"):
        OutputDir(link, RUN_1).prepare()
    assert (real / "src" / "app.js").read_text() == "precious"


def test_a_symlink_to_our_output_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_output(real)
    link = tmp_path / "out"
    link.symlink_to(real)
    out = OutputDir(link, RUN_2)
    write_output(out.prepare(), RUN_2)
    out.publish()
    assert link.is_symlink()
    assert Manifest.read(real).run_id == RUN_2


def test_the_current_directory_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_output(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="current directory"):
        OutputDir(Path("."), RUN_2).prepare()


def test_a_directory_that_changed_during_the_run_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    write_output(target)
    out = OutputDir(target, RUN_2)
    write_output(out.prepare(), RUN_2)
    (target / "added-meanwhile.txt").write_text("precious")
    with pytest.raises(OutputError, match="files it did not write"):
        out.publish()
    assert (target / "added-meanwhile.txt").exists()
    assert Manifest.read(target).run_id == RUN_1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # the new output was discarded


def test_foreign_files_lists_what_the_manifest_does_not(tmp_path: Path) -> None:
    write_output(tmp_path)
    assert foreign_files(tmp_path) == []
    (tmp_path / "extra.txt").write_text("x")
    assert foreign_files(tmp_path) == ["extra.txt"]


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o002], ids=["umask-000", "umask-022", "umask-002"])
def test_outputs_are_owner_only_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        out = OutputDir(tmp_path / "out", RUN_1)
        with private_files():
            write_output(out.prepare())
        final = out.publish()
    finally:
        os.umask(previous)
    assert os.umask(previous) == previous  # restored
    for path in [final, *final.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_discard_removes_the_partial_directory(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out", RUN_1)
    out.prepare()
    out.discard()
    assert list(tmp_path.iterdir()) == []


def test_partials_of_dead_runs_are_cleaned_but_live_ones_and_strangers_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / ".out.partial-dead"
    stale.mkdir()
    (stale / PARTIAL_MARK).write_text(f"pid {dead.stdout.strip()}\n")
    live = tmp_path / ".out.partial-live"
    live.mkdir()
    (live / PARTIAL_MARK).write_text("pid 1\n")
    stranger = tmp_path / ".out.partial-mine"     # a user's directory that happens to match the pattern
    stranger.mkdir()
    (stranger / "keep.txt").write_text("precious")
    OutputDir(tmp_path / "out", RUN_1).prepare()
    assert not stale.exists()
    assert live.exists()
    assert (stranger / "keep.txt").exists()
