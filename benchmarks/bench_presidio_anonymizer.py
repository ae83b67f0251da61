"""Issue 13 item 6: what presidio-anonymizer's AnonymizerEngine costs for free-text span replacement.

The same spans (found once, on the evaluation set, default install) are replaced two ways: by
AnonymizerEngine.anonymize with a custom keyed-pseudonym Operator (Presidio's extension point),
and by the plain splice free_text uses. Both give identical text; the figure is the engine's CPU
time as a share of the whole free-text time (detection + replacement).

    .venv/bin/python benchmarks/bench_presidio_anonymizer.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMISER_SPACY_MODEL", "blank")

from presidio_anonymizer import AnonymizerEngine  # noqa: E402
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult  # noqa: E402
from presidio_anonymizer.operators import Operator, OperatorType  # noqa: E402

from anonymiser.detect.analyze import Hit, analyze_texts, resolve_overlaps  # noqa: E402
from tests.eval.generate import load  # noqa: E402


class KeyedPseudonym(Operator):
    """Replace a span by its precomputed keyed pseudonym (what free_text computes per entity domain)."""

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        assert params is not None
        return str(params["fakes"][(params["entity_type"], text)])

    def validate(self, params: dict[str, Any] | None = None) -> None:
        pass

    def operator_name(self) -> str:
        return "keyed_pseudonym"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


def timed(f: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        f()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = [r["text"] for r in load()]
    hits: list[list[Hit]] = []

    def detect() -> None:
        hits[:] = [resolve_overlaps(h) for h in analyze_texts(texts, workers=1)]

    detection = timed(detect, args.repeat)
    fakes = {(h.entity, t[h.start:h.end]): f"<fake {i}>" for i, (t, hs) in enumerate(zip(texts, hits, strict=True))
             for h in hs}
    engine = AnonymizerEngine()
    engine.add_anonymizer(KeyedPseudonym)

    def presidio() -> list[str]:
        out = []
        for text, spans in zip(texts, hits, strict=True):
            if not spans:
                out.append(text)
                continue
            results = [RecognizerResult(h.entity, h.start, h.end, h.score) for h in spans]
            operators = {e: OperatorConfig("keyed_pseudonym", {"fakes": fakes, "entity_type": e})
                         for e in {h.entity for h in spans}}
            out.append(engine.anonymize(text, results, operators).text)
        return out

    def splice() -> list[str]:
        out = []
        for text, spans in zip(texts, hits, strict=True):
            parts, pos = [], 0
            for h in spans:
                parts += [text[pos:h.start], fakes[(h.entity, text[h.start:h.end])]]
                pos = h.end
            parts.append(text[pos:])
            out.append("".join(parts))
        return out

    assert presidio() == splice(), "the two replacements must agree"
    with_presidio, with_splice = timed(presidio, args.repeat), timed(splice, args.repeat)
    share = with_presidio / (detection + with_presidio)
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {len(texts):,} cells, "
          f"{sum(map(len, hits)):,} spans (best of {args.repeat}, CPU seconds, one process).")
    print(f"| step | CPU s |\n|---|---:|\n| detection | {detection:.3f} |\n"
          f"| replacement, AnonymizerEngine + custom Operator | {with_presidio:.3f} |\n"
          f"| replacement, splice | {with_splice:.4f} |")
    print(f"AnonymizerEngine share of free-text time: {share:.1%} (limit 10%).")


if __name__ == "__main__":
    main()
