"""Bounded memory: one PostgreSQL table of 10 million rows through ``anonymiser run`` (issue 14 item 5).

    .venv/bin/python benchmarks/bench_10m.py                   # 10,000,000 rows
    .venv/bin/python benchmarks/bench_10m.py --rows 1000000    # a quick look

Builds ``person`` (bigint key, UNIQUE e-mail, full name, NZ mobile, street line, date of birth,
city, created_at) with ``generate_series`` (deterministic, no Python per row), then runs the real CLI
under ``/usr/bin/time -v`` to a Parquet output with verification and report, and prints wall time,
rows/s and the peak resident set size (RSS) of the largest process: the parent or one of its
``--jobs`` workers (``time -v`` reports the maximum of the process and its children). The target is
peak RSS ≤ 1 GB. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}

SCHEMA = """
CREATE TABLE person (
    person_id bigint PRIMARY KEY,
    email varchar(120) NOT NULL UNIQUE,
    full_name varchar(120) NOT NULL,
    mobile varchar(20),
    street varchar(120),
    city varchar(60),
    date_of_birth date,
    created_at timestamp NOT NULL
);
"""
FILL = """
INSERT INTO person
SELECT g,
       'p' || g || '.' || (ARRAY['kahu','aroha','sam','mere','tui','wiremu'])[1 + (g % 6)::int] || '@example.co.nz',
       (ARRAY['Kahu','Aroha','Sam','Mere','Tui','Wiremu','Ana','Hemi'])[1 + (g % 8)::int] || ' '
         || (ARRAY['Ngata','Smith','Tane','Parata','Walker','Lee','Singh','Fa''asavalu'])[1 + ((g / 8) % 8)::int]
         || ' ' || chr((65 + (g / 64) % 26)::int) || chr((97 + (g / 1664) % 26)::int)
         || chr((97 + (g / 43264) % 26)::int),
       '02' || (1 + g % 9) || ' ' || lpad(((g * 7919) % 1000)::text, 3, '0') || ' '
         || lpad(((g * 104729) % 10000)::text, 4, '0'),
       (1 + g % 400) || ' ' || (ARRAY['Queen','King','Victoria','Ponsonby','Cuba','Riccarton'])[1 + (g % 6)::int]
         || ' ' || (ARRAY['Street','Road','Avenue','Terrace'])[1 + ((g / 6) % 4)::int],
       (ARRAY['Auckland','Wellington','Christchurch','Hamilton','Dunedin'])[1 + (g % 5)::int],
       DATE '1940-01-01' + ((g * 37) % 25000)::int,
       TIMESTAMP '2020-01-01' + (g % 100000) * INTERVAL '5 minutes'
FROM generate_series(1::bigint, {rows}) g;
ANALYZE person;
"""
POLICY = """\
version: 1
tables:
  person:
    columns:
      person_id: keep
      email: { mask: email }
      full_name: { mask: person_name }
      mobile: { mask: phone }
      street: { mask: street_address }
      city: { mask: keep, reason: "a city alone is not personal" }
      date_of_birth: { mask: date_shift, max_days: 180, by: person_id }
      created_at: keep
retention_days: 35
"""


def log(message: str) -> None:
    print(message, flush=True)


def build(database: str, rows: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    with psycopg.connect(**PG, dbname=database, autocommit=True) as conn:
        conn.execute(SCHEMA)
        for statement in FILL.format(rows=rows).split(";\n"):
            if statement.strip():
                conn.execute(statement)
    return time.perf_counter() - started


def drop(database: str) -> None:
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def key() -> str:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "anonymiser"), "keygen"], capture_output=True, text=True,
                          check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--anonymiser-args", default="", help="extra arguments for 'anonymiser run' (e.g. --jobs 1)")
    args = parser.parse_args()
    database = f"bench_10m_{uuid.uuid4().hex[:8]}"
    log(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        log(f"built person with {args.rows:,} rows in {build(database, args.rows):.1f} s")
        with tempfile.TemporaryDirectory(prefix="bench-10m-") as tmp:
            policy = Path(tmp) / "policy.yaml"
            policy.write_text(POLICY, encoding="utf-8")
            command = ["/usr/bin/time", "-v", str(ROOT / ".venv" / "bin" / "anonymiser"), "--quiet", "run",
                       str(policy), "--source", f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
                       "--out", str(Path(tmp) / "out"), *args.anonymiser_args.split()]
            log(f"load average before the run: {os.getloadavg()[0]:.2f}")
            started = time.perf_counter()
            result = subprocess.run(command, env=dict(os.environ, ANONYMISER_KEY=os.environ.get("ANONYMISER_KEY")
                                                      or key()), capture_output=True, text=True)
            wall = time.perf_counter() - started
            if result.returncode not in (0, 1):
                sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
                raise SystemExit(f"anonymiser run failed with exit {result.returncode}")
            verdict = "PASS" if result.returncode == 0 else "FAIL"
            rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
            cpu = sum(float(re.search(rf"{what} time \(seconds\): ([\d.]+)", result.stderr).group(1))
                      for what in ("User", "System"))
    finally:
        drop(database)
    log(f"anonymiser run: {wall:.1f} s wall, {args.rows / wall:,.0f} rows/s, CPU (user+system, all processes) "
        f"{cpu:.1f} s, verification {verdict}")
    log(f"peak RSS (largest process): {rss_kb / 1024:,.0f} MiB; target <= 1 GB (1024 MiB): "
        f"{'met' if rss_kb / 1024 <= 1024 else 'NOT met'}")
    log(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
