"""Free-text span detection speed, per CPU-second of one process (the default install: no spaCy model).

The cells are the distinct ticket bodies and customer notes of the demo schema (``anonymiser demo``'s
generator, fixed seed) and the labelled evaluation set (tests/eval/free_text.jsonl); each set is
timed through ``detect.spans.find_spans``, the span finder ``free_text`` calls, with its default
entities and threshold, on one process (``ANONYMISER_WORKERS=1``).

    .venv/bin/python benchmarks/bench_detect_speed.py [--customers 4000] [--repeat 3] [--chunk 1000]
    .venv/bin/python benchmarks/bench_detect_speed.py --save spans-before.json    # spans, for a comparison
    .venv/bin/python benchmarks/bench_detect_speed.py --compare spans-before.json # which cells' spans differ

Speed = distinct cells / CPU seconds (``time.process_time``), best of ``--repeat`` passes. The engine is
loaded and warmed on a few sentences of its own first; each pass then runs in a fresh forked process
and sees every cell once, in chunks of ``--chunk`` cells as a run's chunks are: what the finder
remembers (words, parsed phone numbers, validated domains) helps only across different cells, never
by meeting the same cells again.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMISER_WORKERS", "1")       # one process: figures are per core
os.environ.setdefault("ANONYMISER_SPACY_MODEL", "blank")

from anonymiser.demo import build_demo_database  # noqa: E402
from anonymiser.detect.engine import get_engine  # noqa: E402
from anonymiser.detect.spans import find_spans  # noqa: E402
from anonymiser.mask.strategies.free_text import DEFAULT_ENTITIES, FREE_TEXT_THRESHOLD  # noqa: E402
from tests.eval.generate import load  # noqa: E402


def demo_texts(customers: int) -> list[str]:
    """Distinct ticket bodies and customer notes of the demo schema at ``customers`` customers."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.sqlite"
        build_demo_database(path, customers=customers)
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT body FROM support_ticket UNION SELECT notes FROM customer "
                                "WHERE notes IS NOT NULL").fetchall()
        conn.close()
    return sorted(r[0] for r in rows)


def spans_of(texts: list[str]) -> list[list[list[object]]]:
    found = find_spans(texts, entities=DEFAULT_ENTITIES, threshold=FREE_TEXT_THRESHOLD)
    return [[[s.start, s.end, s.entity, round(s.score, 4), s.recognizer, [list(p) for p in s.parts]] for s in spans]
            for spans in found]


WARM_UP = ["Kia ora, this is Mere Walker (mere@example.co.nz, 021 555 0199). Card 4111 1111 1111 1111, IRD "
           "049-091-850, NHI ZZZ0016, 12 Queen Street, Ponsonby, Auckland 1011; see www.example.org.nz",
           "Order arrived late; apologised and applied a 10% voucher. call hemi walker on +44 20 7946 0958"]


def one_pass(texts: list[str], chunk: int) -> tuple[float, list[list[list[object]]]]:
    cpu, spans = 0.0, []
    for at in range(0, len(texts), chunk):
        start = time.process_time()
        found = spans_of(texts[at:at + chunk])
        cpu += time.process_time() - start
        spans += found
    return cpu, spans


def timed(texts: list[str], repeat: int, chunk: int) -> tuple[float, list[list[list[object]]]]:
    passes = []
    for _ in range(repeat):
        with multiprocessing.get_context("fork").Pool(1) as pool:     # a fresh copy of the warmed engine
            passes.append(pool.apply(one_pass, (texts, chunk)))
    return min(cpu for cpu, _ in passes), passes[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=4000, help="demo customers (1.5 tickets each)")
    parser.add_argument("--repeat", type=int, default=3, help="passes, each in a fresh process; the best counts")
    parser.add_argument("--chunk", type=int, default=1000, help="cells per call of the span finder")
    parser.add_argument("--save", type=Path, help="write every cell's spans to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare every cell's spans with a file --save wrote")
    args = parser.parse_args()
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"engine {get_engine().model}.")
    sets = {"demo": demo_texts(args.customers), "eval": [r["text"] for r in load()]}
    spans_of(WARM_UP)
    everything: dict[str, list[list[list[object]]]] = {}
    for name, texts in sets.items():
        seconds, spans = timed(texts, args.repeat, args.chunk)
        everything[name] = spans
        print(f"{name}: {len(texts):,} distinct cells in {seconds:.2f} CPU s = {len(texts) / seconds:,.0f} cells "
              f"per CPU-second (best of {args.repeat} passes), {sum(map(len, spans)):,} spans")
    if args.save:
        args.save.write_text(json.dumps({"texts": sets, "spans": everything}), encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        for name, texts in sets.items():
            if before["texts"][name] != texts:
                print(f"{name}: the cells differ from the saved run (other --customers?)")
                continue
            old, new = before["spans"][name], everything[name]
            differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            print(f"{name}: {len(differ):,} of {len(texts):,} cells have different spans")
            for i in differ[:10]:          # offsets only: cell contents are synthetic, but are not printed
                print(f"  cell {i}: before {old[i]}\n  {' ' * len(str(i))}       after  {new[i]}")


if __name__ == "__main__":
    main()
