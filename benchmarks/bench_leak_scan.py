"""The leak scan alone (verification's search for source values in the output) on the demo schema in PostgreSQL.

    .venv/bin/python benchmarks/bench_leak_scan.py                    # 75,000 customers, ~1M rows
    .venv/bin/python benchmarks/bench_leak_scan.py --customers 8000   # a quick look
    .venv/bin/python benchmarks/bench_leak_scan.py --jobs 2           # the search on 2 processes

1. builds the demo schema at scale (as ``bench_vs_pynonymizer.py`` does, cached in benchmarks/.work/) and
   copies it into a fresh PostgreSQL database;
2. runs ``anonymiser run`` once to a Parquet output (the demo policy without its subset);
3. runs ``verify.leaks.scan`` on that output ``--repeat`` times in this process and prints the best wall
   and CPU time, this process's peak RSS, what was searched, and a digest of the findings (every count
   per column and per hit), so two commits can be compared: same digest, same findings (export the same
   ANONYMISER_KEY for both, and compare commits whose masking is the same, so the outputs are the same).

Nothing here is a test: figures go to benchmarks/RESULTS.md by hand, with the command that made them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_vs_pynonymizer import PG, POLICY, ROOT, build_source_sqlite, copy_to_postgres, drop_database, log

from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect
from anonymiser.verify import leaks
from anonymiser.write.manifest import Manifest


def masked_output(source_url: str, out: Path) -> None:
    policy = out.parent / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    key = subprocess.run([str(ROOT / ".venv" / "bin" / "anonymiser"), "keygen"], capture_output=True, text=True,
                         check=True).stdout.strip()
    env = dict(os.environ, ANONYMISER_KEY=os.environ.get("ANONYMISER_KEY") or key, ANONYMISER_SPACY_MODEL="blank")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "anonymiser"), "--quiet", "run", str(policy), "--source",
                             source_url, "--out", str(out), "--format", "parquet"], env=env, capture_output=True,
                            text=True)
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
        raise SystemExit(f"anonymiser run failed with exit {result.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=75_000, help="demo customers (~13 rows each in all)")
    parser.add_argument("--repeat", type=int, default=2, help="leak scans on the same output; the best is kept")
    parser.add_argument("--jobs", type=int, default=1, help="processes searching the output (run's --jobs)")
    args = parser.parse_args()
    log(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    database = f"bench_leaks_{uuid.uuid4().hex[:8]}"
    counts = copy_to_postgres(build_source_sqlite(args.customers), database)
    log(f"source: {sum(counts.values()):,} rows in {len(counts)} tables")
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{database}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-leaks-") as tmp:
            out = Path(tmp) / "out"
            started = time.perf_counter()
            masked_output(url, out)
            log(f"anonymiser run: {time.perf_counter() - started:.1f} s")
            manifest = Manifest.read(out)
            best: tuple[float, float] | None = None
            with connect(url) as conn:
                schema = introspect(conn, manifest.schema_.schema_name or manifest.policy.schema_name)
                for attempt in range(1, args.repeat + 1):
                    log(f"scan {attempt}: load average before {os.getloadavg()[0]:.2f}")
                    wall, cpu = time.perf_counter(), _cpu()
                    scan, failures = leaks.scan(out, manifest, conn, schema, jobs=args.jobs)
                    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
                    log(f"  {wall:.1f} s wall, {cpu:.1f} s CPU")
                    best = (wall, cpu) if best is None or cpu < best[1] else best
    finally:
        drop_database(database)
    assert best is not None
    findings = scan.model_dump(exclude={"hash_function"})
    digest = hashlib.sha256(json.dumps([findings, [f.model_dump() for f in failures]], sort_keys=True,
                                       default=str).encode()).hexdigest()[:16]
    log(f"leak scan (best of {args.repeat}, --jobs {args.jobs}): {best[0]:.1f} s wall, {best[1]:.1f} s CPU (this "
        f"process and its searching workers); peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    log(f"searched {scan.output_cells_scanned:,} cells and {scan.free_text_ngrams_scanned:,} runs of words for "
        f"{scan.values_checked:,} hashed source values; leaks {scan.leaks}, unchanged {scan.unchanged}, "
        f"coincidences {scan.coincidences:,}; findings digest {digest}")
    log(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the forked searching workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
