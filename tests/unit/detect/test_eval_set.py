"""The labelled evaluation set: generated deterministically, and a fixed slice meets the leak targets.

The full figures (2,810 sentences, both engines, speed) come from ``benchmarks/bench_free_text.py``;
the suite checks one sentence in ten with the default install, which takes a second.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from anonymiser.detect.engine import SPACY_MODEL_ENV, get_engine
from tests.eval import generate, score
from tests.eval.harness import detect_spans, mask_texts

KEY = b"eval-slice-key-0123456789abcdef!"


def test_generator_is_deterministic_and_the_committed_set_is_current() -> None:
    records = generate.Generator().generate()
    assert generate.render(records) == generate.OUT.read_text("utf-8"), \
        "regenerate with: .venv/bin/python -m tests.eval.generate"
    assert len(records) >= 2000
    kinds = {s["type"] for r in records for s in r["spans"]}
    assert kinds >= {"PERSON", "STREET_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "EMAIL_ADDRESS", "NZ_IRD", "NZ_NHI",
                     "NZ_BANK_ACCOUNT", "NZBN"}
    assert sum(not r["spans"] for r in records) >= 400                     # sentences with no personal data
    assert {s.get("kind") for r in records for s in r["spans"]} >= {"unseen", "particle", "nz", "international"}


def test_labels_point_at_their_values() -> None:
    for record in generate.load()[:400]:
        for span in record["spans"]:
            value = record["text"][span["start"]:span["end"]]
            assert value and value == value.strip(), record["id"]


@pytest.fixture
def blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SPACY_MODEL_ENV, "blank")
    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


def test_a_fixed_slice_meets_the_leak_targets_with_the_default_install(blank: None) -> None:
    records = generate.load()[::10]
    texts = [r["text"] for r in records]
    result = score.score(records, mask_texts(pa.array(texts, pa.string()), KEY), detect_spans(texts))
    failed = {group: f"{tally.leak_rate:.1%}" for group, tally in result.groups.items()
              if tally.leak_rate > score.TARGETS[group]}
    assert failed == {}
    assert result.overmask_rate <= score.OVERMASK_TARGET
    assert result.clean_changed == 0
