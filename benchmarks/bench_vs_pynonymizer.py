"""anonymiser vs pynonymizer 2.5 on the same PostgreSQL database, each ending with a masked PostgreSQL dump.

    .venv/bin/python benchmarks/bench_vs_pynonymizer.py                  # ~1M rows (75,000 customers)
    .venv/bin/python benchmarks/bench_vs_pynonymizer.py --customers 8000 # a quick look

What it does, every step printed:
1. builds the demo schema at scale (``anonymiser.demo.build_demo_database``, cached in
   benchmarks/.work/), copies it into a fresh PostgreSQL database with COPY and settles it (``VACUUM (FREEZE,
   ANALYZE)``, as a production database is); each tool's timed run starts after a ``CHECKPOINT``;
2. installs pynonymizer 2.5.0 into its own venv (benchmarks/.work/pynonymizer-venv) once;
3. runs pynonymizer with a strategy file covering the same personal columns as the anonymiser policy
   (free text emptied, since pynonymizer cannot rewrite spans): pg_dump of the source, then
   pynonymizer's restore → anonymise → dump. pynonymizer reads dumps, not live databases, so the
   pg_dump is part of its job; its time without the pg_dump is printed too;
4. runs ``anonymiser run`` with the demo's policy (no subset) to a PostgreSQL dump, verification and
   report included, as the default install runs it: pattern-only detection (``ANONYMISER_SPACY_MODEL=blank``,
   even where the ``[ner]`` extra is installed; ``--model`` to choose another) and ``--jobs`` = every core;
5. prints both wall times and their ratio, anonymiser's verdict and detection engine, with the machine
   and the load average.

Nothing here is a test: figures go to benchmarks/RESULTS.md by hand, with the command that made them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from anonymiser.demo import SCHEMA, build_demo_database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PYNONYMIZER = "pynonymizer==2.5.0"
TABLES = ("staff", "customer", "product", "orders", "order_item", "support_ticket")

# The demo policy without its subset: both tools mask every row.
POLICY = (ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8")
POLICY = POLICY[:POLICY.index("subset:")] + POLICY[POLICY.index("tables:"):]

# The same personal columns for pynonymizer (Faker providers; free text emptied).
STRATEGY = """\
locale: en_NZ
tables:
  staff:
    columns:
      full_name: name
      email: unique_email
      phone: phone_number
      ird_number: (NULL)
      hired_on: date
  customer:
    columns:
      first_name: first_name
      last_name: last_name
      email: unique_email
      mobile: phone_number
      street_address: street_address
      suburb: city
      postcode: postcode
      date_of_birth: date_of_birth
      ird_number: (NULL)
      nhi_number: (NULL)
      bank_account: bban
      notes: ('')
  orders:
    columns:
      delivery_address: address
  support_ticket:
    columns:
      body: ('')
"""


def log(message: str) -> None:
    print(message, flush=True)


def build_source_sqlite(customers: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"demo-{customers}.sqlite"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        build_demo_database(partial, customers=customers)
        partial.rename(path)
        log(f"built the demo source at {customers:,} customers in {time.perf_counter() - started:.1f} s")
    return path


def copy_to_postgres(sqlite_path: Path, database: str) -> dict[str, int]:
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    counts: dict[str, int] = {}
    with psycopg.connect(**PG, dbname=database) as conn, sqlite3.connect(sqlite_path) as lite:
        conn.execute(SCHEMA)
        for table in TABLES:
            rows = lite.execute(f"SELECT * FROM {table}").fetchall()
            with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            counts[table] = len(rows)
    # A settled database, as a production one is: vacuumed (hint bits set, visibility map built) and analysed, so
    # neither tool's timed run pays for, or competes with, the autovacuum of a fresh bulk load.
    with psycopg.connect(**PG, dbname=database, autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE, ANALYZE)")
    return counts


def checkpoint() -> None:
    """Dirty buffers written out before a tool's timed run, so no run pays for the one before it."""
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute("CHECKPOINT")


def drop_database(database: str) -> None:
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def pynonymizer_bin() -> Path:
    venv = WORK / "pynonymizer-venv"
    binary = venv / "bin" / "pynonymizer"
    if not binary.exists():
        log(f"installing {PYNONYMIZER} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", PYNONYMIZER], check=True)
    return binary


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1) or (result.returncode == 1 and "anonymiser" not in command[0]):
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"{command[0]} failed with exit {result.returncode}")
    return elapsed


def run_pynonymizer(source_db: str, work: Path, workers: int) -> tuple[float, float]:
    """(pg_dump seconds, pynonymizer seconds) from the live source to a masked dump."""
    strategy = work / "strategy.yml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    dump_in = work / "source.sql"
    dump_seconds = timed(["pg_dump", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], "-f", str(dump_in),
                          source_db])
    env = dict(os.environ, PGPASSWORD="")
    scratch = f"bench_pyn_{uuid.uuid4().hex[:8]}"
    try:
        seconds = timed([str(pynonymizer_bin()), "--db-type", "postgres", "--db-host", PG["host"],
                         "--db-port", str(PG["port"]), "--db-user", PG["user"], "--db-password", "",
                         "--db-name", scratch, "--workers", str(workers), "-i", str(dump_in), "-s", str(strategy),
                         "-o", str(work / "pynonymizer.sql")], env=env)
    finally:
        drop_database(scratch)
    return dump_seconds, seconds


def run_anonymiser(source_db: str, work: Path, extra: list[str], model: str) -> tuple[float, str, str]:
    """(wall seconds, verdict, detection engine) of one run to a masked PostgreSQL dump."""
    policy = work / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{source_db}"
    env = dict(os.environ, ANONYMISER_KEY=os.environ.get("ANONYMISER_KEY") or _key(), ANONYMISER_SPACY_MODEL=model)
    out = work / "anonymiser-out"
    command = [str(ROOT / ".venv" / "bin" / "anonymiser"), "--quiet", "run", str(policy), "--source", url,
               "--out", str(out), "--format", "parquet,sql", "--dialect", "postgresql", *extra]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):     # 1: verification FAIL, the output is written all the same
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"anonymiser run failed with exit {result.returncode}")
    report = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    engine = str(manifest.get("detection", {}).get("engine", {}).get("spacy_model", "?"))
    return elapsed, str(report.get("verdict")), engine


def _key() -> str:
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "anonymiser"), "keygen"], capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=75_000, help="demo customers (~13 rows each in all)")
    parser.add_argument("--pynonymizer-workers", type=int, default=1, help="pynonymizer --workers (default 1)")
    parser.add_argument("--anonymiser-args", default="", help="extra arguments for 'anonymiser run'")
    parser.add_argument("--repeat", type=int, default=1, help="run each tool this many times; the median is used")
    parser.add_argument("--model", default="blank",
                        help="ANONYMISER_SPACY_MODEL for anonymiser (default: blank, as the default install)")
    args = parser.parse_args()

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    log(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    source_db = f"bench_src_{uuid.uuid4().hex[:8]}"
    sqlite_path = build_source_sqlite(args.customers)
    started = time.perf_counter()
    counts = copy_to_postgres(sqlite_path, source_db)
    log(f"source: {sum(counts.values()):,} rows in {len(counts)} tables, copied to PostgreSQL in "
        f"{time.perf_counter() - started:.1f} s")
    pynonymizer_bin()
    ours: list[float] = []
    theirs: list[tuple[float, float]] = []
    try:
        for attempt in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory(prefix="bench-vs-pyn-") as tmp:
                work = Path(tmp)
                checkpoint()
                log(f"run {attempt}: load average before pynonymizer {os.getloadavg()[0]:.2f}")
                dump_s, pyn_s = run_pynonymizer(source_db, work, args.pynonymizer_workers)
                theirs.append((dump_s, pyn_s))
                log(f"  pynonymizer: pg_dump {dump_s:.1f} s + restore/anonymise/dump {pyn_s:.1f} s "
                    f"= {dump_s + pyn_s:.1f} s")
                checkpoint()
                log(f"run {attempt}: load average before anonymiser {os.getloadavg()[0]:.2f}")
                ours_s, verdict, engine = run_anonymiser(source_db, work, args.anonymiser_args.split(), args.model)
                ours.append(ours_s)
                log(f"  anonymiser run (mask + Parquet + PostgreSQL dump + verify + report): {ours_s:.1f} s, "
                    f"verification {verdict}, detection {engine}")
                shutil.rmtree(work / "anonymiser-out", ignore_errors=True)
    finally:
        drop_database(source_db)
    ours.sort()
    theirs.sort(key=sum)
    mid = len(ours) // 2
    pyn_total = sum(theirs[mid])
    log(f"median of {args.repeat}: anonymiser {ours[mid]:.1f} s, pynonymizer {pyn_total:.1f} s "
        f"({theirs[mid][1]:.1f} s without pg_dump)")
    log(f"ratio anonymiser / pynonymizer = {ours[mid] / pyn_total:.2f} "
        f"({ours[mid] / theirs[mid][1]:.2f} against pynonymizer without its pg_dump); target <= 0.5")
    log(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
