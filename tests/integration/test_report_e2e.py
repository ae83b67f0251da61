"""End to end through the real CLI: the report of the demo and of Chinook never holds a source value."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from anonymiser.report.schema_file import shipped
from tests.review import accept_residual_risk

pytestmark = pytest.mark.slow
PERSONAL = ("direct_identifier", "quasi_identifier", "sensitive")
MIN_LENGTH = 5   # shorter values ("NZ", "CA", "2") also occur in ordinary words and figures


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anonymiser", "--quiet", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})


def _personal_values(source: Path, out: Path) -> set[str]:
    """Every distinct value of every column detected as personal or masked, read from the source."""
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    columns = {(f["table"], f["column"]) for f in manifest["detection"].get("findings", [])
               if f.get("classification") in PERSONAL}
    columns |= {(t, c) for t, e in manifest["tables"].items() for c, m in e["masking"].items()
                if m["strategy"] != "keep"}
    values: set[str] = set()
    with sqlite3.connect(source) as conn:
        for table, column in sorted(columns):
            rows = conn.execute(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
            values |= {str(v).strip().lower() for (v,) in rows}
    assert len(columns) >= 5 and len(values) > 100
    # Table and column names are metadata the report must show; a surname "Price" equals a column name.
    names = {n.lower() for t, info in manifest["schema"]["tables"].items()
             for n in [t, *(c["name"] for c in info["columns"])]}
    return {v for v in values if len(v) >= MIN_LENGTH and v not in names}


def _assert_clean(out: Path, values: set[str]) -> None:
    for name in ("report.json", "report.md", "report.html"):
        text = (out / "report" / name).read_text("utf-8").lower()
        # Whole words only: the first name "Sione" is not a leak inside "commissioned".
        words = {w.strip(".'-") for w in re.findall(r"[\w@.+'-]+", text)}
        found = [v for v in values if (v in words if re.fullmatch(r"[\w@.+'-]+", v) else v in text)]
        if found:  # never print the values themselves
            pytest.fail(f"{name}: {len(found)} source value(s) in the report")
    jsonschema.Draft202012Validator(shipped()).validate(json.loads((out / "report" / "report.json").read_text()))


def test_demo_report_holds_no_source_value(tmp_path: Path) -> None:
    out, source = tmp_path / "out", tmp_path / "demo.sqlite"
    proc = _cli("demo", "--out", str(out), "--keep-source", str(source))
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    assert proc.returncode == (0 if report["verdict"] == "PASS" else 1), proc.stderr
    _assert_clean(out, _personal_values(source, out))


def test_chinook_scan_run_report(tmp_path: Path, chinook_sqlite: str) -> None:
    source = Path(chinook_sqlite.removeprefix("sqlite:///"))
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    assert _cli("scan", chinook_sqlite, "--out", str(policy)).returncode == 0
    accept_residual_risk(policy)
    key = _cli("keygen").stdout.strip()
    proc = _cli("run", str(policy), "--source", chinook_sqlite, "--out", str(out), env={"ANONYMISER_KEY": key})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "PASS"
    assert report["verification"]["leak_scan"]["values_checked"] > 300
    _assert_clean(out, _personal_values(source, out))
    # verify again from the CLI: same verdict, report rewritten
    again = _cli("verify", str(out), "--source", chinook_sqlite, env={"ANONYMISER_KEY": key})  # checks manifest.sig
    assert again.returncode == 0, again.stdout + again.stderr
