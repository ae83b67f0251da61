"""Masking throughput: 1,000,000 rows × 8 personal columns, Arrow in → Arrow out, one process.

    .venv/bin/python benchmarks/bench_mask.py [--rows 1000000] [--baseline-rows 20000]

Synthetic, seeded, high-cardinality input (~1M distinct names/emails/phones/addresses/IRD numbers).
Compares with the per-value approach many tools use, ``faker.seed_instance(hmac(value));
faker.name()``, measured on ``--baseline-rows`` values of one column and extrapolated linearly to
the same number of cells (it is a per-value loop, so linear is fair). Prints the figures that go
into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")         # one core: no hidden thread pools
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from anonymiser.identifiers.nz_vec import ird_check_digits  # noqa: E402
from anonymiser.mask import registry  # noqa: E402
from anonymiser.mask.base import MaskContext  # noqa: E402
from anonymiser.schema import ColumnInfo  # noqa: E402

pa.set_cpu_count(1)
pa.set_io_thread_count(1)

KEY = hashlib.sha256(b"benchmark key").digest()
SEED = 20250101
COLUMNS = {   # column → (strategy, options, unique)
    "full_name": ("person_name", {}, False),
    "email": ("email", {}, True),
    "phone": ("phone", {}, False),
    "street": ("street_address", {}, False),
    "address": ("address", {}, False),
    "ird_number": ("nz_ird", {}, True),
    "date_of_birth": ("date_shift", {"max_days": 180, "by": "customer_id"}, False),
    "first_name": ("first_name", {}, False),
}


def make_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(SEED)
    ids = np.arange(1, rows + 1)
    s = ids.astype(str).astype(object)
    given = np.array(["Aroha", "Wiremu", "Sione", "Mere", "Liam", "Olivia", "Hemi", "Ana"], dtype=object)
    family = np.array(["Ngata", "Smith", "Tupou", "Walker", "Wang", "Patel", "Kingi", "Brown"], dtype=object)
    g = given[rng.integers(0, len(given), rows)]
    f = family[rng.integers(0, len(family), rows)]
    phone = np.char.add("021 ", np.char.zfill(rng.integers(0, 10**7, rows).astype(str), 7)).astype(object)
    base = rng.integers(1_000_000, 15_000_000, rows)
    check = ird_check_digits(base)
    ird = np.where(check >= 0, base * 10 + check, 49091850)  # valid IRD numbers, like production
    dob = np.datetime64("1950-01-01") + rng.integers(0, 25_000, rows).astype("timedelta64[D]")
    return pa.table({
        "customer_id": pa.array(ids),
        "full_name": pa.array(g + " " + f + " " + s),          # distinct per row: high cardinality
        "email": pa.array(g + "." + f + s + "@mail.co.nz"),
        "phone": pa.array(phone),
        "street": pa.array(s + " Queen Street"),
        "address": pa.array(s + " Queen Street, Grey Lynn, Auckland 1021"),
        "ird_number": pa.array(ird.astype(str)),
        "date_of_birth": pa.array(dob),
        "first_name": pa.array(g + s),
    })


def mask_table(table: pa.Table) -> tuple[pa.Table, dict[str, float]]:
    batch = table.combine_chunks().to_batches()[0]
    out: dict[str, pa.Array] = {"customer_id": batch.column("customer_id")}
    timings: dict[str, float] = {}
    for column, (strategy_name, options, unique) in COLUMNS.items():
        t0 = time.perf_counter()
        strategy = registry.build(strategy_name, options)
        info = ColumnInfo(name=column, kind="string", sql_type="TEXT")
        ctx = MaskContext(key=KEY, table="customer", column=info, unique=unique, batch=batch)
        out[column] = strategy.mask(batch.column(column), ctx)
        timings[column] = time.perf_counter() - t0
    return pa.table(out), timings


def faker_baseline(values: list[str]) -> tuple[float, float]:
    from faker import Faker

    fake = Faker("en_NZ")
    t0, c0 = time.perf_counter(), time.process_time()
    for v in values:
        fake.seed_instance(int.from_bytes(hmac.new(KEY, v.encode(), hashlib.sha256).digest()[:8], "big"))
        fake.name()
    return time.perf_counter() - t0, time.process_time() - c0


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    args = parser.parse_args()
    table = make_table(args.rows)
    registry.names()          # import strategies and load dictionaries outside the timing
    registry.build("person_name", {}).mask(pa.array(["warm up"]), MaskContext(
        KEY, "t", ColumnInfo(name="c", kind="string", sql_type="TEXT")))
    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    masked, timings = mask_table(table)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    load_after = os.getloadavg()
    cells = args.rows * len(COLUMNS)
    ours = cells / elapsed
    sample = table["full_name"].slice(0, args.baseline_rows).to_pylist()
    base_elapsed, base_cpu = faker_baseline(sample)
    base_rate = len(sample) / base_elapsed
    assert masked.num_rows == args.rows
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"pyarrow {pa.__version__}, numpy {np.__version__}")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in load_before)}, "
          f"after: {'/'.join(f'{x:.2f}' for x in load_after)}")
    print(f"anonymiser: {args.rows:,} rows x {len(COLUMNS)} columns = {cells:,} cells in {elapsed:.2f} s "
          f"= {ours:,.0f} cells/s (CPU time {cpu:.2f} s = {cells / cpu:,.0f} cells/s)")
    for column, seconds in timings.items():
        print(f"  {column:<14} {COLUMNS[column][0]:<15} {seconds:6.2f} s")
    print(f"faker baseline (seed_instance(hmac); name()): {len(sample):,} values in {base_elapsed:.2f} s = "
          f"{base_rate:,.0f} cells/s (CPU {len(sample) / base_cpu:,.0f} cells/s); "
          f"extrapolated to {cells:,} cells: {cells / base_rate:,.0f} s")
    print(f"speed-up: {ours / base_rate:,.0f}x wall, {(cells / cpu) / (len(sample) / base_cpu):,.0f}x CPU")


if __name__ == "__main__":
    main()
