"""Detection benchmarks: scan time on a generated 50-table SQLite database, free-text cells/s with
the blank pipeline and the small model (1 and 2 processes), and precision/recall on Chinook and
Northwind against tests/fixtures/expected_classification.

    .venv/bin/python benchmarks/bench_detect.py [--cells 6000] [--rows 2000]

Prints Markdown for benchmarks/RESULTS.md ("Detection").
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymiser.detect import detect_schema  # noqa: E402
from anonymiser.detect.analyze import analyze_texts  # noqa: E402
from anonymiser.detect.engine import get_engine, installed_models  # noqa: E402
from anonymiser.detect.evaluate import evaluate, load_expected  # noqa: E402
from anonymiser.source.connect import connect  # noqa: E402
from anonymiser.source.introspect import introspect  # noqa: E402

SAMPLE_DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "fixtures" / "expected_classification"
WORDS = ["the", "customer", "asked", "about", "refund", "order", "delivery", "please", "call", "back", "tomorrow",
         "invoice", "payment", "account", "issue", "resolved", "thanks", "parcel", "courier", "delayed", "damaged",
         "replacement", "warranty", "store", "manager"]
FIRST = ["Aroha", "Tama", "Mere", "Wiremu", "Sophie", "James", "Olivia", "Liam", "Hemi", "Grace"]
LAST = ["Ngata", "Smith", "Williams", "Parata", "Brown", "Wilson", "Taylor", "Walker", "Tipene", "Clarke"]


def ticket(rng: random.Random, i: int) -> str:
    """A support note: 40% name a person, 20% an email, 20% a phone number, ~30% nothing personal."""
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."
    k = rng.random()
    if k < 0.4:
        text = f"Spoke with {rng.choice(FIRST)} {rng.choice(LAST)}. " + text
    if 0.3 < k < 0.5:
        text += f" Email user{i}@example.co.nz."
    if 0.5 < k < 0.7:
        text += f" Call 021 {rng.randint(200, 999)} {rng.randint(1000, 9999)}."
    return text


def build_50_tables(path: Path, rows: int) -> str:
    rng = random.Random(50)
    with sqlite3.connect(path) as conn:
        for t in range(50):
            kind = t % 5
            if kind == 0:
                conn.execute(f"CREATE TABLE customer_{t} (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, "
                             "email TEXT, mobile TEXT, ird_number TEXT, city TEXT, notes TEXT)")
                conn.executemany(f"INSERT INTO customer_{t} VALUES (?,?,?,?,?,?,?,?)", [
                    (i, rng.choice(FIRST), rng.choice(LAST), f"u{t}_{i}@example.com", f"021 555 {i % 10000:04d}",
                     "49091850", rng.choice(["Auckland", "Wellington"]), ticket(rng, i)) for i in range(rows)])
            else:
                parent = t - kind
                conn.execute(f"CREATE TABLE item_{t} (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES "
                             f"customer_{parent}(id), sku TEXT, description TEXT, qty INTEGER, price REAL)")
                conn.executemany(f"INSERT INTO item_{t} VALUES (?,?,?,?,?,?)", [
                    (i, i % rows, f"SKU-{rng.randint(0, 99999):05d}", " ".join(rng.choice(WORDS) for _ in range(4)),
                     rng.randint(1, 9), rng.random() * 100) for i in range(rows)])
    conn.close()
    return f"sqlite:///{path}"


def bench_scan(rows: int, model: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        url = build_50_tables(Path(tmp) / "fifty.sqlite", rows)
        get_engine(model)   # model load is reported separately
        start = time.perf_counter()
        with connect(url) as conn:
            schema = introspect(conn)
            result = detect_schema(conn, schema, sample=1000, model=model)
        return time.perf_counter() - start, len(result.findings)


def bench_free_text(cells: int, model: str, workers: int) -> float:
    rng = random.Random(7)
    texts = [ticket(rng, i) for i in range(cells)]   # distinct cells (free_text factorizes repeats away)
    engine = get_engine(model)
    start = time.perf_counter()
    analyze_texts(texts, engine=engine, workers=workers)
    return cells / (time.perf_counter() - start)


def quality(model: str) -> list[str]:
    import shutil

    from tests import dbs

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        chinook = Path(tmp) / "chinook.sqlite"
        shutil.copyfile(SAMPLE_DATA / "chinook" / "Chinook_Sqlite.sqlite", chinook)
        northwind = dbs.build_northwind_sqlite(Path(tmp))
        for name, url in (("chinook", f"sqlite:///{chinook}"), ("northwind", northwind)):
            with connect(url) as conn:
                result = detect_schema(conn, introspect(conn), sample=1000, model=model)
            ev = evaluate(result.findings, load_expected(GOLDEN / f"{name}.yaml"))
            out += [f"**{name}** ({model}): {len(result.findings)} columns, mismatches: {ev.mismatches or 'none'}",
                    "", ev.table(), ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=6000)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    models = ["blank"] + installed_models()[:1]
    lines = [f"Machine: {os.cpu_count()} cores; models: {', '.join(models)}.", "",
             "| measure | " + " | ".join(models) + " |", "|---|" + "---:|" * len(models)]
    for workers in (1, 2):
        rates = [bench_free_text(args.cells, m, workers) for m in models]
        lines.append(f"| free-text cells/s, {workers} process{'es' if workers > 1 else ''} | "
                     + " | ".join(f"{r:,.0f}" for r in rates) + " |")
    scans = [bench_scan(args.rows, m) for m in models]
    lines.append(f"| scan, 50 tables × {args.rows:,} rows ({scans[0][1]} columns), s | "
                 + " | ".join(f"{s:.1f}" for s, _ in scans) + " |")
    lines.append("")
    for m in models:
        lines += quality(m)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
