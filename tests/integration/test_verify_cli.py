"""`anonymiser verify` and `anonymiser report` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from anonymiser.verify import model as m
from tests.cli_runner import TEST_KEY
from tests.unit.verify.builder import build_output

pytestmark = pytest.mark.slow  # each case starts the CLI (imports Presidio)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    # The run's key (build_output signs with it): verify checks manifest.sig.
    env = {k: v for k, v in os.environ.items() if k != "ANONYMISER_KEY"} | {"ANONYMISER_KEY": TEST_KEY}
    return subprocess.run([sys.executable, "-m", "anonymiser", *args], capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.mark.parametrize(("fault", "reasons"), [
    (None, set()),
    ("keep_email", {m.KEPT_PERSONAL, m.REDETECTED}),
    # a data file changed after the run signed the manifest: a checksum mismatch, and tampering
    ("drop_parent", {m.ORPHAN_FK, m.FILE_MISMATCH, m.MANIFEST_TAMPERED}),
    ("duplicate_unique", {m.DUPLICATE_UNIQUE, m.FILE_MISMATCH, m.MANIFEST_TAMPERED}),
], ids=["clean", "kept-email", "dropped-parent", "duplicated-unique"])
def test_verify_exit_code_and_reasons(tmp_path: Path, fault: str | None, reasons: set[str]) -> None:
    built = build_output(tmp_path, **({fault: True} if fault else {}))
    proc = _cli("--json", "verify", str(built.directory), "--source", built.source_url)
    assert proc.returncode == (1 if reasons else 0), proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["verdict"] == ("FAIL" if reasons else "PASS")
    assert {f["reason"] for f in result["failures"]} == reasons
    report = json.loads((built.directory / "report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == result["verdict"]
    assert {f["reason"] for f in report["verification"]["failures"]} == reasons


@pytest.mark.parametrize(("fault", "code", "verdict", "reasons"), [
    (None, 0, "INCOMPLETE", set()),
    ("drop_parent", 1, "FAIL", {m.ORPHAN_FK, m.FILE_MISMATCH, m.MANIFEST_TAMPERED}),
], ids=["clean", "dropped-parent"])
def test_verify_without_a_source_runs_the_output_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        fault: str | None, code: int, verdict: str,
                                                        reasons: set[str]) -> None:
    built = build_output(tmp_path, **({fault: True} if fault else {}))
    monkeypatch.delenv("ANONYMISER_SOURCE_URL", raising=False)
    before = sorted(built.directory.rglob("*"))
    proc = _cli("--json", "verify", str(built.directory))
    assert proc.returncode == code, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["verdict"] == verdict
    assert {f["reason"] for f in result["failures"]} == reasons       # leak_scan_not_run is a skip, not a failure
    assert [s["gate"] for s in result["skipped"]] == ["leaks", "drift"]
    assert all("--source" in s["why"] for s in result["skipped"])
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    assert any(e["event"] == "verify_without_source" and e["level"] == "warning" for e in events)
    assert sorted(built.directory.rglob("*")) == before   # no report written: the run's verdict stands
    text = _cli("verify", str(built.directory))
    assert text.returncode == code
    assert f"Verification: {verdict}" in text.stdout
    assert "skipped: leaks, drift" in text.stdout and "checked: at_risk, orphans, duplicates" in text.stdout


def test_verify_rejects_a_directory_without_manifest(tmp_path: Path) -> None:
    proc = _cli("verify", str(tmp_path), "--source", f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert proc.returncode == 2 and "manifest.json" in proc.stderr


def test_report_rerenders_from_json(tmp_path: Path) -> None:
    built = build_output(tmp_path)
    assert _cli("verify", str(built.directory), "--source", built.source_url).returncode == 0
    html = built.directory / "report" / "report.html"
    before = html.read_text("utf-8")
    html.unlink()
    (built.directory / "report" / "report.md").unlink()
    proc = _cli("report", str(built.directory))
    assert proc.returncode == 0, proc.stderr
    assert html.read_text("utf-8") == before


@pytest.mark.parametrize(("content", "message"), [
    (None, "report.json"),
    ('{"schema_version": "1.0.0"}', "report schema"),
], ids=["missing", "invalid"])
def test_report_refuses_bad_json(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "report").mkdir()
        (tmp_path / "report" / "report.json").write_text(content, "utf-8")
    proc = _cli("report", str(tmp_path))
    assert proc.returncode == 2 and message in proc.stderr


SIGNAL_BEFORE_SIGNING = """
import os, signal, sys
import anonymiser.pipeline as pipeline

sign = pipeline.sign

def sign_after_a_signal(*args, **kwargs):     # the report is rewritten; its signature is next
    os.kill(os.getpid(), signal.SIGTERM)
    return sign(*args, **kwargs)

pipeline.sign = sign_after_a_signal
from anonymiser.cli.entry import main
sys.argv = ["anonymiser", "--json", "verify", sys.argv[1], "--source", sys.argv[2]]
main()
"""


def test_an_interrupted_verify_leaves_an_output_it_can_verify_again(tmp_path: Path) -> None:
    """A signal between the report's rewrite and its signature left a report the signature did not cover:
    the output failed every later verify as tampered (and a tampered output is never signed again)."""
    built = build_output(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ANONYMISER_KEY"} | {"ANONYMISER_KEY": TEST_KEY}
    proc = subprocess.run([sys.executable, "-c", SIGNAL_BEFORE_SIGNING, str(built.directory), built.source_url],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 130, proc.stderr
    again = _cli("--json", "verify", str(built.directory), "--source", built.source_url)
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert m.MANIFEST_TAMPERED not in {f["reason"] for f in result["failures"]}, result["failures"]
    assert again.returncode == 0, again.stderr


def test_a_data_file_cut_short_fails_verify_with_exit_1(tmp_path: Path) -> None:
    """The gates read around a damaged file, but the report's residual-risk section then read it again and
    the command crashed: internal error (ArrowInvalid), exit 70, report not rewritten."""
    built = build_output(tmp_path)
    damaged = built.directory / "parquet" / "customer.parquet"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    proc = _cli("--json", "verify", str(built.directory), "--source", built.source_url)
    assert proc.returncode == 1, proc.stderr
    reasons = {f["reason"] for f in json.loads(proc.stdout.strip().splitlines()[-1])["failures"]}
    assert {m.FILE_MISMATCH, m.MANIFEST_TAMPERED} <= reasons, reasons
    report = json.loads((built.directory / "report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "FAIL"
