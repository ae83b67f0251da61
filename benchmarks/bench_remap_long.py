"""`remap` on long strings: time per value length, to show the cost is linear (issue 11: 1 MB in < 1 s).

    .venv/bin/python benchmarks/bench_remap_long.py [--repeat 3]

One value of each length (random letters, digits and '-'), masked by ``remap_strings`` in process,
one thread; best of ``--repeat`` CPU times (``time.process_time``). A linear construction doubles
its time when the length doubles; the block-by-block one used up to 96 characters is quadratic.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import string
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pyarrow as pa  # noqa: E402

from anonymiser.mask.strategies.remap import remap_strings  # noqa: E402

KEY = hashlib.sha256(b"benchmark key").digest()
LENGTHS = (10_000, 100_000, 500_000, 1_000_000, 2_000_000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20250101)
    alphabet = string.ascii_letters + string.digits + "-"
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| length (characters) | CPU (s), best of", args.repeat, "| µs per character |")
    print("|---:|---:|---:|")
    for length in LENGTHS:
        value = pa.array(["".join(rng.choice(alphabet) for _ in range(length))])
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            remap_strings(KEY, "remap", value)
            best = min(best, time.process_time() - started)
        print(f"| {length:,} | {best:.3f} | {best / length * 1e6:.2f} |")


if __name__ == "__main__":
    main()
