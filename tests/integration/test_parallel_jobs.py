"""``run --jobs N`` writes the same bytes as ``--jobs 1`` (issue 14 item 2).

The fixture has what could make a parallel run differ: several tables, chunks split over workers,
free text (with known entities from other tables), unique columns whose collision state runs from
chunk to chunk, and a foreign key that follows a masked natural key (it shares the parent's strategy
instance). The SQL dump differs only in its first line, which names the run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from anonymiser.demo import build_demo_database
from anonymiser.pool import MIN_PIECE_ROWS
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow  # three real runs through the CLI

POLICY = (Path(__file__).resolve().parents[2] / "policies" / "demo.yaml").read_text(encoding="utf-8")
POLICY = POLICY[:POLICY.index("subset:")] + POLICY[POLICY.index("tables:"):]   # every row: more chunks
POLICY = POLICY.replace("tables:\n", """tables:
  login:
    columns:
      code: { mask: postcode }
      display_name: { mask: person_name }
  login_event:
    columns:
      event_id: keep
      code: keep
      note: { mask: free_text }
""", 1)


def _source(directory: Path) -> Path:
    path = directory / "demo.sqlite"
    build_demo_database(path, customers=1500)
    with sqlite3.connect(path) as conn:
        # A masked natural key (unique, state kept across chunks) that a child's foreign key follows; codes
        # that are not postcodes get 4 keyed digits: 1,500 of them in 10,000 collide.
        conn.executescript("""
            CREATE TABLE login (code VARCHAR(6) PRIMARY KEY, display_name TEXT);
            CREATE TABLE login_event (event_id INTEGER PRIMARY KEY, code VARCHAR(6) REFERENCES login(code),
                                      note TEXT);
            INSERT INTO login SELECT 'C' || customer_id, first_name || ' ' || last_name FROM customer;
            INSERT INTO login_event SELECT ticket_id, 'C' || c.customer_id, 'Login by ' || c.first_name || ' '
                                           || c.last_name || ' from ' || c.mobile
                                    FROM support_ticket t JOIN customer c USING (customer_id);
        """)
    return path


def _run(tmp_path: Path, source: Path, jobs: int) -> Path:
    out = tmp_path / f"out-{jobs}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    result = anonymiser("--quiet", "run", str(policy), "--source", f"sqlite:///{source}", "--out", str(out),
                        "--format", "parquet,sql", "--dialect", "postgresql,sqlite", "--chunk-rows", "3000",
                        "--jobs", str(jobs))
    assert result.returncode in (0, 1), result.stdout + result.stderr    # 1: a verification FAIL still writes
    assert "Traceback" not in result.stdout + result.stderr
    return out


def _data(out: Path) -> dict[str, str]:
    """sha256 of every Parquet file, and of every dump without its first line (the run's id)."""
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "parquet").iterdir())}
    for dump in sorted((out / "sql").iterdir()):
        header, _, body = dump.read_bytes().partition(b"\n")
        assert b"run " in header
        digests[dump.name] = hashlib.sha256(body).hexdigest()
    return digests


def test_every_output_byte_is_the_same_whatever_the_number_of_jobs(tmp_path: Path) -> None:
    source = _source(tmp_path)
    serial = _run(tmp_path, source, 1)
    expected = _data(serial)
    assert len(expected) == 8 + 2
    manifest = json.loads((serial / "manifest.json").read_text("utf-8"))
    assert manifest["tables"]["support_ticket"]["rows"] > MIN_PIECE_ROWS   # a chunk the workers split in pieces
    assert manifest["tables"]["order_item"]["rows"] > 3 * 3000       # several chunks per table
    # A key of 4 keyed digits: fakes collide, and which input keeps an output depends on the earlier chunks.
    assert manifest["tables"]["login"]["masking"]["code"]["collisions_resolved"] > 0
    for jobs in (2, 3):
        parallel = _run(tmp_path, source, jobs)
        assert _data(parallel) == expected, f"--jobs {jobs}"
        other = json.loads((parallel / "manifest.json").read_text("utf-8"))
        assert other["tables"] == manifest["tables"]     # rows, file hashes, per-column masking facts
        assert _verdict(parallel) == _verdict(serial)


def _verdict(out: Path) -> str:
    return str(json.loads((out / "report" / "report.json").read_text("utf-8"))["verdict"])
