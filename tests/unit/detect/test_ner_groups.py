"""A spaCy model's artifacts are made group by group as the analysis reads them (bounded memory on long cells)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from anonymiser.detect import analyze
from anonymiser.detect.analyze import NER_GROUP_CHARS, _ner_artifacts


class _Recording:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.made = 0

    def process_batch(self, texts: list[str], language: str, batch_size: int) -> Iterator[tuple[str, Any]]:
        self.calls.append(list(texts))
        for text in texts:
            self.made += 1
            yield text, f"artifacts of {text[:5]}"


def test_artifacts_come_in_order_in_bounded_groups_and_only_when_read() -> None:
    nlp = _Recording()
    engine: Any = SimpleNamespace(analyzer=SimpleNamespace(nlp_engine=nlp))
    texts = [f"{i:04d}" + "x" * (NER_GROUP_CHARS // 3) for i in range(7)] + ["short"]
    stream = _ner_artifacts(engine, texts, [0, 2, 3, 4, 5, 6, 7])
    assert nlp.made == 0                                     # nothing is made before it is asked for
    first = next(stream)
    assert first[0] == texts[0] and nlp.made == 1            # one at a time, not every piece of a cell at once
    rest = list(stream)
    assert [t for t, _ in rest] == [texts[i] for i in (2, 3, 4, 5, 6, 7)]
    assert all(sum(map(len, call)) <= NER_GROUP_CHARS for call in nlp.calls)
    assert len(nlp.calls) == 3


def test_a_batch_of_ordinary_cells_is_one_group() -> None:
    nlp = _Recording()
    engine: Any = SimpleNamespace(analyzer=SimpleNamespace(nlp_engine=nlp))
    texts = ["Aroha Ngata called about order 4411."] * 1000
    assert len(list(_ner_artifacts(engine, texts, list(range(1000))))) == 1000
    assert len(nlp.calls) == 1
    assert analyze.NER_GROUP_CHARS >= 100_000
