"""Kept credentials, photos and user names fail verification: the report never claims full coverage."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from anonymiser.verify import model as m
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # one real run through the CLI

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
POLICY = """\
version: 1
tables:
  staff:
    columns:
      id: keep
      full_name: person_name
      pw: keep
      login_ref: keep
      face: keep
      motto: keep
retention_days: 35
"""


def test_kept_credentials_photos_and_logins_fail_with_reasons(tmp_path: Path) -> None:
    rng = random.Random(3)
    src = tmp_path / "src.sqlite"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, full_name TEXT, pw TEXT, login_ref TEXT, face BLOB, "
                 "motto TEXT)")
    for i in range(40):
        given, family = rng.choice(["aroha", "james", "mere"]), rng.choice(["ngata", "smith", "parata"])
        bcrypt = "$2b$12$" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789./") for _ in range(53))
        conn.execute("INSERT INTO staff VALUES (?,?,?,?,?,?)", (i, f"{given.title()} {family.title()}", bcrypt,
                                                                f"{given[0]}{family}{i}", JPEG, "Always on time"))
    conn.commit()
    conn.close()
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "out"
    result = anonymiser("--json", "run", str(policy), "--source", f"sqlite:///{src}", "--out", str(out))
    assert result.returncode == 1, result.stderr
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "FAIL"
    failed = {(f["reason"], f.get("column")) for f in report["verification"]["failures"]}
    for column in ("pw", "login_ref", "face"):
        assert (m.REDETECTED, column) in failed, failed
    assert all(column != "motto" for _, column in failed)
    # The terminal lists each failure as `verify` does: "- [reason] message".
    human = anonymiser("run", str(policy), "--source", f"sqlite:///{src}", "--out", str(tmp_path / "again"))
    assert human.returncode == 1, human.stderr
    listed = [line.strip() for line in human.stdout.splitlines() if line.strip().startswith("- [")]
    assert listed == [f"- [{f['reason']}] {f['message']}" for f in report["verification"]["failures"]], human.stdout
