"""Subset cost against source size: a 1% subset of a >= 5M-row PostgreSQL source vs a 10x smaller one.

Creates its own PostgreSQL databases on 127.0.0.1:5432 (user postgres), fills them server-side with
generate_series (deterministic), runs ``compute_subset`` and drops them. Usage:

    .venv/bin/python benchmarks/bench_subset.py [--scale 250000] [--record benchmarks/RESULTS.md]

Schema (per ``scale`` customers): region 20, product scale/5, customer scale (self-reference
``referred_by``), orders 4x, order_item 3 per order (composite PK), payment 1 per order.
At the default scale that is 250k + 1M + 3M + 1M + 50k = 5.3M rows.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymiser.source.introspect import introspect  # noqa: E402
from anonymiser.subset import SubsetPolicy, compute_subset  # noqa: E402
from anonymiser.subset.engine import _count_all  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

SCHEMA = """
CREATE TABLE region (region_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE product (product_id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10, 2) NOT NULL);
CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, region_id INTEGER NOT NULL REFERENCES region,
  referred_by INTEGER NULL REFERENCES customer, email TEXT NOT NULL);
CREATE TABLE orders (order_id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer,
  placed_at TIMESTAMP NOT NULL);
CREATE TABLE order_item (order_id BIGINT NOT NULL REFERENCES orders, line_no SMALLINT NOT NULL,
  product_id INTEGER NOT NULL REFERENCES product, qty INTEGER NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE payment (payment_id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES orders,
  amount NUMERIC(12, 2) NOT NULL);
"""

FILL = """
INSERT INTO region SELECT g, 'region ' || g FROM generate_series(1, 20) g;
INSERT INTO product SELECT g, 'product ' || g, (g % 500) + 0.99 FROM generate_series(1, {products}) g;
INSERT INTO customer SELECT g, 1 + g % 20,
  CASE WHEN g % 3 = 0 OR g = 1 THEN NULL ELSE 1 + (g::BIGINT * 7919) % (g - 1) END,
  'c' || g || '@example.test' FROM generate_series(1, {customers}) g;
INSERT INTO orders SELECT g, 1 + (g::BIGINT * 104729) % {customers}, TIMESTAMP '2024-01-01' + g * INTERVAL '1 minute'
  FROM generate_series(1, {orders}) g;
INSERT INTO order_item SELECT o, l, 1 + (o * 31 + l * 17) % {products}, 1 + (o + l) % 5
  FROM generate_series(1, {orders}) o CROSS JOIN generate_series(1, 3) l;
INSERT INTO payment SELECT g, g, 10 + g % 300 FROM generate_series(1, {orders}) g;
CREATE INDEX ON customer (referred_by);
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON payment (order_id);
ANALYZE;
"""


@contextlib.contextmanager
def database(scale: int) -> Iterator[tuple[str, float, int]]:
    name = f"anon_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = sa.create_engine(url)
    try:
        started = time.perf_counter()
        sizes = {"customers": scale, "orders": 4 * scale, "products": max(1, scale // 5)}
        with engine.begin() as conn:
            for statement in re.split(r";\s*\n", SCHEMA + FILL.format(**sizes)):
                if statement.strip():
                    conn.execute(sa.text(statement))
        with engine.connect() as conn:
            total = sum(_count_all(conn, introspect(conn)).values())
        yield url, time.perf_counter() - started, total
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, percent: float, repeats: int) -> dict[str, float]:
    engine = sa.create_engine(url)
    # Referrals are followed up (referrers of kept customers), not down: a referral tree's root
    # would otherwise pull in most customers, which is what per-relation rules are for.
    policy = SubsetPolicy.model_validate({
        "seed": 1, "roots": [{"table": "customer", "percent": percent}],
        "children": [{"table": "customer", "via": ["referred_by"], "follow": False}],
    })
    best: dict[str, float] = {}
    with engine.connect() as conn:
        schema = introspect(conn)
        for _ in range(repeats):
            started = time.perf_counter()
            _count_all(conn, schema)
            counting = time.perf_counter() - started
            started = time.perf_counter()
            result = compute_subset(conn, schema, policy)
            total = time.perf_counter() - started
            if not best or total < best["total_s"]:
                best = {"total_s": total, "count_s": counting, "closure_s": total - counting,
                        "kept": sum(result.kept_rows.values()), "source": sum(result.source_rows.values()),
                        "root_kept": result.kept_rows["customer"],
                        "sampled": result.method["roots"][0]["selected_rows"]}
    engine.dispose()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=250_000, help="customers in the large source")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--record", type=Path, help="write the table into this RESULTS.md")
    args = parser.parse_args()
    rows = []
    for scale, percents in ((args.scale, (1.0,)), (args.scale // 10, (1.0, 10.0))):
        with database(scale) as (url, build_s, total):
            print(f"built {total:,} rows in {build_s:.1f}s", flush=True)
            for percent in percents:
                figures = run(url, percent, args.repeats)
                rows.append((total, percent, figures))
                print(f"source {total:>10,} rows, {percent:>4}% of customers: kept {figures['kept']:>8,} rows "
                      f"(sampled {figures['sampled']:,} customers); closure {figures['closure_s']:.2f}s, "
                      f"source row counts {figures['count_s']:.2f}s, total {figures['total_s']:.2f}s", flush=True)
    table = render(rows)
    print(table)
    if args.record:
        record(args.record, table)


def render(rows: list[tuple[int, float, dict[str, float]]]) -> str:
    lines = [
        "| source rows | root sample | kept customers | kept rows | closure (s) | source COUNT(*) (s) | total (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for total, percent, f in rows:
        lines.append(f"| {total:,} | {percent:g}% of customer ({int(f['sampled']):,}) | {int(f['root_kept']):,} "
                     f"| {int(f['kept']):,} "
                     f"| {f['closure_s']:.2f} | {f['count_s']:.2f} | {f['total_s']:.2f} |")
    return "\n".join(lines)


def record(path: Path, table: str) -> None:
    """Replace (or add) the "Subsetting" section; other sections belong to other benchmarks."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmark results\n"
    body = SECTION.format(table=table, date=time.strftime("%Y-%m-%d"))
    pattern = re.compile(r"^## Subsetting\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: body, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
    path.write_text(text, "utf-8")


SECTION = """## Subsetting

`benchmarks/bench_subset.py` ({date}; PostgreSQL 127.0.0.1, 2 shared cores; best of 3). Root:
`customer` by `percent`, children followed (orders, order items, payments), parents closed
(products, regions, referrers of referrers: `customer.referred_by` is followed up only, by a
`children: [{{table: customer, via: [referred_by], follow: false}}]` rule). "closure" is
sampling + key-set closure; "source COUNT(*)" is the per-table row count that
`SubsetResult.source_rows` reports.

{table}

Reading: rows 1 and 3 are subsets of the same size (2,500 sampled customers) from sources 10x
apart; row 2 is a 10x smaller subset of the smaller source. The closure's cost follows the
subset, not the source. What grows with the source is the one full read of the root table's key
column for the seeded ranking (one `array_agg` round trip on PostgreSQL) and the optional
`COUNT(*)` per table for the report.

"""


if __name__ == "__main__":
    main()
