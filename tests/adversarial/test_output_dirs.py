"""`run --out` never deletes what is not provably an earlier anonymiser output (issue 11, item 1)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adversarial.harness import assert_clean, assert_no_planted_in_files, cli, snapshot


def _web_project(d: Path) -> None:
    d.mkdir()
    (d / "index.html").write_text("<h1>my site</h1>")
    (d / "src").mkdir()
    (d / "src" / "app.js").write_text("console.log('precious')")


def _web_project_with_manifest(d: Path) -> None:
    _web_project(d)
    (d / "manifest.json").write_text('{"name": "my-pwa", "start_url": "/"}')


def _thesis(d: Path) -> None:
    d.mkdir()
    (d / "thesis.tex").write_text("\\chapter{Introduction}")


def _fake_manifest_with_run_id(d: Path) -> None:
    d.mkdir()
    (d / "manifest.json").write_text('{"run_id": "20250101T000000Z-deadbeef", "tables": {}}')
    (d / "data.csv").write_text("a,b\n")


def _a_file(d: Path) -> None:
    d.write_text("not a directory")


# Each builds something at --out that is not ours; the run must refuse with exit 2 and change nothing.
NOT_OURS: list[tuple[str, Callable[[Path], None]]] = [
    ("web-project", _web_project),
    ("web-project-with-manifest.json", _web_project_with_manifest),
    ("thesis-folder", _thesis),
    ("manifest-that-does-not-validate", _fake_manifest_with_run_id),
    ("a-regular-file", _a_file),
]


@pytest.mark.parametrize("build", [b for _, b in NOT_OURS], ids=[i for i, _ in NOT_OURS])
def test_run_refuses_a_directory_that_is_not_ours(tmp_path: Path, planted_sqlite: tuple[str, Path],
                                                  build: Callable[[Path], None]) -> None:
    source, policy = planted_sqlite
    target = tmp_path / "target"
    build(target)
    before = snapshot(tmp_path)
    result = cli("run", str(policy), "--source", source, "--out", str(target))
    assert_clean(result, 2, expect="nothing was changed|not a directory")
    assert snapshot(tmp_path) == before


def test_symlink_at_out_to_a_user_directory_is_refused(tmp_path: Path, planted_sqlite: tuple[str, Path]) -> None:
    source, policy = planted_sqlite
    _web_project(tmp_path / "project")
    (tmp_path / "out").symlink_to(tmp_path / "project")
    before = snapshot(tmp_path)
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(tmp_path / "out")), 2, expect="symlink")
    assert snapshot(tmp_path) == before


def test_out_dot_in_a_folder_with_work_in_it_is_refused(tmp_path: Path, planted_sqlite: tuple[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    source, policy = planted_sqlite
    _thesis(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    before = snapshot(tmp_path)
    assert_clean(cli("run", str(policy), "--source", source, "--out", "."), 2)
    assert snapshot(tmp_path) == before


def test_our_output_with_a_user_file_added_is_refused(tmp_path: Path, planted_sqlite: tuple[str, Path]) -> None:
    source, policy = planted_sqlite
    out = tmp_path / "out"
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(out)), 0)
    (out / "parquet" / "my-analysis.ipynb").write_text("{}")
    before = snapshot(tmp_path)
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(out)), 2, expect="my-analysis.ipynb")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("umask", [0o000, 0o022], ids=["umask-000", "umask-022"])
def test_our_output_is_replaced_and_owner_only(tmp_path: Path, planted_sqlite: tuple[str, Path], umask: int) -> None:
    source, policy = planted_sqlite
    out = tmp_path / "out"
    previous = os.umask(umask)
    try:
        for _ in range(2):   # the second run replaces the first
            assert_clean(cli("--json", "run", str(policy), "--source", source, "--out", str(out)), 0)
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert_no_planted_in_files(out)
