"""Pictures: scan and re-detection apply one rule. A category's pictures are kept by scan's draft and pass the
run's re-detection (Northwind's Categories.Picture failed the run of its own scan draft); a person's photo is
masked, and kept anyway it fails re-detection."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from tests.cli_runner import anonymiser

PNG = b"\x89PNG\r\n\x1a\n" + bytes(120)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
NAMES = ["Aroha Ngata", "James Smith", "Mere Parata", "Sione Taufa", "Olivia Brown", "Liam Walker"]


def _source(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE categories (category_id INTEGER PRIMARY KEY, category_name TEXT, picture BLOB);
            CREATE TABLE employees (employee_id INTEGER PRIMARY KEY, full_name TEXT, photo BLOB);
        """)
        conn.executemany("INSERT INTO categories VALUES (?,?,?)",
                         [(i, f"Category {i}", PNG + bytes([i])) for i in range(1, 41)])
        conn.executemany("INSERT INTO employees VALUES (?,?,?)",
                         [(i, NAMES[i % len(NAMES)] + f" {i}", JPEG + bytes([i])) for i in range(1, 41)])
    conn.close()
    return f"sqlite:///{path}"


def test_scan_draft_of_pictures_runs_and_passes(tmp_path: Path) -> None:
    url = _source(tmp_path / "src.sqlite")
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    scan = anonymiser("scan", url, "--out", str(policy))
    assert scan.returncode == 0, scan.stderr[-2000:]
    tables = yaml.safe_load(policy.read_text())["tables"]
    assert tables["categories"]["columns"]["picture"] == "keep"
    assert tables["employees"]["columns"]["photo"] != "keep"
    run = anonymiser("run", str(policy), "--source", url, "--out", str(out))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    report = json.loads((out / "report" / "report.json").read_text())
    assert not [f for f in report["verification"]["failures"] if f["gate"] == "redetection"]


def test_a_kept_photo_of_a_person_fails_redetection(tmp_path: Path) -> None:
    url = _source(tmp_path / "src.sqlite")
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    assert anonymiser("scan", url, "--out", str(policy)).returncode == 0
    text = yaml.safe_load(policy.read_text())
    text["tables"]["employees"]["columns"]["photo"] = "keep"
    policy.write_text(yaml.safe_dump(text))
    run = anonymiser("run", str(policy), "--source", url, "--out", str(out))
    assert run.returncode == 1, (run.stdout + run.stderr)[-3000:]
    assert "employees.photo is kept unmasked" in run.stdout + run.stderr
