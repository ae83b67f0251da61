"""How long until a pytest-xdist worker's own database holds the masked demo dataset (target: ≤ 2 s on
PostgreSQL, by template clone).

1. Builds the demo dataset once (``anonymiser demo --out benchmarks/.work/demo-out``) unless given.
2. In process: the session's one-time template load, then worker databases made one at a time
   (``WorkerDatabase.open``: clone, engine, first query), each dropped again.
3. End to end: ``pytest -n 4 examples/pytest`` against the server, several times; the plugin prints
   each worker's ready time (clone and first connection, after the worker's first import of the
   database driver, which it reports apart) in its summary line.

    .venv/bin/python benchmarks/bench_plugin_ready.py [--url postgresql://postgres@127.0.0.1:5432]
        [--dataset DIR] [--clones 10] [--sessions 3]

Prints the figures and the load average for benchmarks/RESULTS.md ("pytest plugin").
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymiser.testing.provision import Controller, WorkerDatabase  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
READY = re.compile(r"(gw\d+) ([0-9.]+) s")
DRIVER = re.compile(r"importing the database driver: up to ([0-9.]+) s")


def demo_dataset() -> Path:
    out = WORK / "demo-out"
    if not (out / "manifest.json").is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "anonymiser", "demo", "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def summary(label: str, values: list[float]) -> str:
    return (f"{label}: n={len(values)} min {min(values):.3f} s, median {statistics.median(values):.3f} s, "
            f"max {max(values):.3f} s")


def in_process(dataset: Path, url: str, clones: int) -> None:
    controller = Controller(dataset, url, Path(tempfile.mkdtemp()), allow_failed=False)
    started = time.perf_counter()
    plan = controller.start()
    print(f"template load (once per session): {time.perf_counter() - started:.3f} s")
    times = []
    try:
        for i in range(clones):
            worker = WorkerDatabase(plan, f"gw{i}")
            worker.open()
            times.append(worker.seconds)
            worker.close()
    finally:
        controller.finish()
    print(summary("worker database ready, one at a time", times))


def end_to_end(dataset: Path, url: str, sessions: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "ANONYMISER_"))}
    times: list[float] = []
    drivers: list[float] = []
    walls = []
    for _ in range(sessions):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", "4", "-p", "no:cacheprovider", "--anonymiser-dataset",
             str(dataset), "--anonymiser-url", url, str(ROOT / "examples" / "pytest")],
            capture_output=True, text=True, env=env, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        line = next((x for x in result.stdout.splitlines() if x.startswith("anonymiser: worker databases ready")),
                    None)
        if result.returncode != 0 or line is None:
            sys.exit(f"the example suite failed:\n{result.stdout[-3000:]}")
        times += [float(seconds) for _, seconds in READY.findall(line)]
        drivers += [float(seconds) for seconds in DRIVER.findall(line)]
    print(summary("worker database ready in `pytest -n 4 examples/pytest` (4 workers at once)", times))
    print(summary("before that, the slowest worker's first import of the driver", drivers))
    print(summary("whole session (21 tests, 4 workers)", walls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--dataset", type=Path, default=None, help="a run's output (default: anonymiser demo's)")
    parser.add_argument("--clones", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=3)
    args = parser.parse_args()
    dataset = (args.dataset or demo_dataset()).resolve()
    print(f"dataset: {dataset}; server: {args.url}; load average before: {os.getloadavg()[0]:.2f}")
    in_process(dataset, args.url, args.clones)
    end_to_end(dataset, args.url, args.sessions)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
