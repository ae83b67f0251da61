"""Known-entity matching: memory at 10 million source values, and text searched per second.

Builds the index from synthetic masked-column values (names, phones, e-mails, IRD numbers, street
lines) added in chunks as a run streams them, then searches free-text cells (the evaluation set's
sentences, repeated) for them on one core.

    .venv/bin/python benchmarks/bench_known_entities.py [--values 10000000] [--text-mb 20]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymiser.detect.gazetteer import load as gazetteer  # noqa: E402
from anonymiser.detect.known import KnownEntities  # noqa: E402
from tests.eval.generate import load  # noqa: E402

CHUNK = 1_000_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def values(kind: str, n: int, rng: random.Random, given: list[str], family: list[str]) -> list[str]:
    if kind == "PERSON":
        return [f"{rng.choice(given).title()} {rng.choice(family).title()}" for _ in range(n)]
    if kind == "PHONE_NUMBER":
        return [f"02{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}" for _ in range(n)]
    if kind == "EMAIL_ADDRESS":
        return [f"{rng.choice(given)}.{rng.choice(family)}{i}@example.co.nz" for i in range(n)]
    if kind == "NZ_IRD":
        return [f"{rng.randint(10_000_000, 150_000_000):09d}" for _ in range(n)]
    return [f"{rng.randint(1, 400)} {rng.choice(family).title()} Street" for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=10_000_000)
    parser.add_argument("--text-mb", type=float, default=20)
    args = parser.parse_args()
    rng = random.Random(10)
    g = gazetteer()
    given, family = sorted(g.given), sorted(g.family)
    mix = {"PERSON": 0.4, "PHONE_NUMBER": 0.2, "EMAIL_ADDRESS": 0.2, "NZ_IRD": 0.1, "STREET_ADDRESS": 0.1}
    index = KnownEntities()
    before = rss_mb()
    start = time.process_time()
    for entity, share in mix.items():
        todo = int(args.values * share)
        while todo:
            n = min(CHUNK, todo)
            index.add(entity, values(entity, n, rng, given, family))
            todo -= n
    index.freeze()
    build = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sentences = [r["text"] for r in load()]
    size = sum(len(s.encode()) for s in sentences)
    texts = sentences * max(1, int(args.text_mb * 2**20 / size))
    total = sum(len(t.encode()) for t in texts)
    start = time.process_time()
    found = sum(len(m) for m in index.find(texts))
    search = time.process_time() - start
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}.")
    print("| values | index bytes | RSS after build − before (MB) | peak RSS (MB) | build CPU (s) | "
          "text searched (MB) | matches | search CPU (s) | MB/s per core |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {index.values:,} | {index.nbytes / 2**20:,.0f} MB | {rss_mb() - before:,.0f} | {peak:,.0f} | "
          f"{build:.1f} | {total / 2**20:.1f} | {found:,} | {search:.2f} | {total / 2**20 / search:.2f} |")


if __name__ == "__main__":
    main()
