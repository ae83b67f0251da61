"""Where one ``anonymiser run`` spends its time, phase by phase, without a profiler's distortion.

cProfile slows Python-heavy code (span detection) far more than C-heavy code (Arrow, the database), so
its shares mislead; this wraps the pipeline's phases in plain timers instead (wall and CPU of the main
process; the pool workers' CPU is reported as one total).

    .venv/bin/python benchmarks/bench_run_phases.py                     # demo schema, 8,000 customers
    .venv/bin/python benchmarks/bench_run_phases.py --customers 75000 --jobs 2

Same source, policy and options as ``bench_vs_pynonymizer.py`` (the demo schema copied into a fresh
PostgreSQL database, dumped to PostgreSQL, pattern-only detection), without pynonymizer. Phases nest:
``free_text.mask`` and ``find_spans`` run inside ``_write_parquet`` (in the main process with ``--jobs
1``, in the workers otherwise, where they are not timed); with ``--jobs`` >= 2 the SQL dump and the same-row
checks run in forked processes too, so ``write_dump`` and ``_same_row_check`` are not listed. ``_load_analyzer``
is the load of the analyzer free-text masking uses (``get_engine``, cached after: ``_detect`` finds it loaded).
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_vs_pynonymizer as vs  # noqa: E402

import anonymiser.detect.spans as spans  # noqa: E402
import anonymiser.inputs as inputs  # noqa: E402
import anonymiser.mask.strategies.free_text as free_text  # noqa: E402
import anonymiser.pipeline as pipeline  # noqa: E402
from anonymiser.cli.entry import main as cli  # noqa: E402
from anonymiser.verify import integrity, leaks, leaksearch, outputs, redetect, risk  # noqa: E402
from anonymiser.write import dumps  # noqa: E402

PHASES: tuple[tuple[Any, str], ...] = (
    (pipeline, "prepare"), (pipeline, "_load_analyzer"), (pipeline, "_detect"),
    (pipeline, "get_engine"),   # inside _load_analyzer: the analyzer free-text masking needs (cached after)
    (inputs, "masking_inputs"),
    (pipeline, "_write_parquet"), (free_text.FreeText, "mask"), (spans, "find_spans"), (dumps, "write_dump"),
    (pipeline, "_verify_and_report"),
    # inside _verify_and_report
    (outputs, "check_files"), (integrity, "check_foreign_keys"), (integrity, "check_unique"),
    (leaks, "_same_row_check"), (leaks, "_hash_source_table"), (leaksearch.Search, "run"),
    (redetect, "redetect"), (risk, "gate"), (pipeline, "build_report"), (pipeline, "write_report"),
)


def timed(owner: Any, name: str, totals: dict[str, list[float]]) -> None:
    function: Callable[..., Any] = getattr(owner, name)
    label = name if isinstance(owner, type(pipeline)) else f"{owner.__name__}.{name}"

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            total = totals.setdefault(label, [0.0, 0.0, 0])
            total[0] += time.perf_counter() - wall
            total[1] += time.process_time() - cpu
            total[2] += 1

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=8000, help="demo customers (~13 rows each in all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--model", default="blank", help="ANONYMISER_SPACY_MODEL (default: blank)")
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
    for owner, name in PHASES:
        timed(owner, name, totals)
    source_db = f"bench_phases_{uuid.uuid4().hex[:8]}"
    counts = vs.copy_to_postgres(vs.build_source_sqlite(args.customers), source_db)
    print(f"source: {sum(counts.values()):,} rows; load average {os.getloadavg()[0]:.2f} before the run")
    os.environ["ANONYMISER_SPACY_MODEL"] = args.model
    os.environ.setdefault("ANONYMISER_KEY", vs._key())
    try:
        with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp:
            policy = Path(tmp) / "policy.yaml"
            policy.write_text(vs.POLICY, encoding="utf-8")
            url = f"postgresql://{vs.PG['user']}@{vs.PG['host']}:{vs.PG['port']}/{source_db}"
            sys.argv = ["anonymiser", "--quiet", "run", str(policy), "--source", url, "--out", f"{tmp}/out",
                        "--format", "parquet,sql", "--dialect", "postgresql", "--jobs", str(args.jobs)]
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                cli()
            except SystemExit as exc:
                if exc.code not in (0, 1, None):
                    raise
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        vs.drop_database(source_db)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("\n| phase | calls | wall (s) | share of wall | CPU, main process (s) |\n|---|---:|---:|---:|---:|")
    for label, (phase_wall, phase_cpu, calls) in totals.items():
        print(f"| {label} | {int(calls)} | {phase_wall:.2f} | {phase_wall / wall:.0%} | {phase_cpu:.2f} |")
    print(f"| **run** | 1 | {wall:.2f} | 100% | {cpu:.2f} |")
    print(f"\nCPU of the pool workers (all): {children.ru_utime + children.ru_stime:.2f} s; --jobs {args.jobs}; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} at the end.")


if __name__ == "__main__":
    main()
