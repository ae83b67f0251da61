"""Long free-text cells: the work per hit does not depend on the cell's length (a 1 MB notes cell holds
thousands of hits), and the spans are those the short text's spans predict.

The helpers that replace per-hit scans of the whole text are compared with those scans here."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.detect import addresses, persons
from anonymiser.detect.analyze import Hit, _TitleCaseLines, resolve_overlaps
from anonymiser.detect.engine import SPACY_MODEL_ENV, get_engine
from anonymiser.detect.known import KnownEntities
from anonymiser.detect.longtext import Spans, search_tail
from anonymiser.detect.spans import find_spans, with_known
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.strategies.free_text import DEFAULT_ENTITIES, FREE_TEXT_THRESHOLD
from anonymiser.schema import ColumnInfo

# One "sentence" of a long notes cell: a name, a phone, an e-mail, lower-case names, addresses, an IRD number.
UNIT = ("Long history for Mere Ngata, reach on 021 555 1234 or mere.ngata7@example.co.nz. call aroha ngata at "
        "12 Queen Street, Ponsonby, Auckland 1011; aroha said fine. Mrs ngata visited Flat 3, 45 Great North Road, "
        "Grey Lynn. Hi ilona, IRD 123-456-789.\nWalker, Kiri prefers email.\n  Flat 2\n7 Karangahape Road\nThanks.\n")
KEY = b"long-cell-test-key-0123456789abcdef"


@pytest.fixture
def blank_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(SPACY_MODEL_ENV, "blank")
    monkeypatch.setenv("ANONYMISER_WORKERS", "1")
    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


def _mask_cpu(text: str) -> tuple[float, str]:
    ctx = MaskContext(key=KEY, table="ticket", column=ColumnInfo(name="notes", kind="text", sql_type="TEXT"),
                      find_spans=find_spans)
    strategy = registry.build("free_text", {})
    began = time.process_time()
    masked = strategy.mask(pa.array([text], pa.string()), ctx)[0].as_py()
    return time.process_time() - began, masked


def test_a_long_cell_costs_linear_time(blank_engine: None) -> None:
    _mask_cpu(UNIT * 20)      # warm: the engine, the words the finders remember
    # Within one analysed piece (PIECE_CHARS): 4x the text, about 4x the time (a per-hit scan made it ~16x).
    short = min(_mask_cpu(UNIT * 40)[0] for _ in range(2))
    longer = min(_mask_cpu(UNIT * 160)[0] for _ in range(2))
    assert longer / max(short, 1e-3) < 6, (short, longer)
    # A ~1 MB cell (ten pieces): about the cost per character of the short cell.
    cell = UNIT * 3300
    assert len(cell) > 1_000_000
    cpu, masked = _mask_cpu(cell)
    assert cpu / len(cell) < 6 * short / len(UNIT * 40), (short, cpu)
    for value in ("Mere Ngata", "021 555 1234", "mere.ngata7@example.co.nz", "12 Queen Street"):
        assert value not in masked


def _shifted(spans: list[Any], by: int) -> list[tuple[Any, ...]]:
    return [(s.start + by, s.end + by, s.entity, s.score, s.recognizer,
             tuple((a + by, b + by, r) for a, b, r in s.parts)) for s in spans]


@pytest.mark.parametrize("copies", [50, 600])      # 600: several overlapping pieces
def test_long_cell_spans_are_the_short_texts_repeated(blank_engine: None, copies: int) -> None:
    known = KnownEntities()
    known.add("PERSON", ["Mere Ngata"])
    known.add("PHONE_NUMBER", ["021 555 1234"])
    known.add("STREET_ADDRESS", ["12 Queen Street"])
    for finder in (find_spans, with_known(known)):
        one = finder([UNIT], entities=DEFAULT_ENTITIES, threshold=FREE_TEXT_THRESHOLD)[0]
        assert len(one) >= 8
        expected = [s for i in range(copies) for s in _shifted(one, i * len(UNIT))]
        found = finder([UNIT * copies], entities=DEFAULT_ENTITIES, threshold=FREE_TEXT_THRESHOLD)[0]
        assert _shifted(found, 0) == expected


_BOUNDS = st.tuples(st.integers(0, 40), st.integers(0, 8)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_BOUNDS, max_size=12), st.lists(_BOUNDS, min_size=1, max_size=6))
def test_spans_answer_as_the_scans(spans: list[tuple[int, int]], queries: list[tuple[int, int]]) -> None:
    index = Spans(spans)
    for s, e in queries:
        assert index.overlap(s, e) == any(a < e and s < b for a, b in spans)
        assert index.holds_longer(s, e) == any(a <= s and e <= b and b - a > e - s for a, b in spans)


_TAIL_TEXT = st.lists(st.sampled_from([" ", "\t", "\n", "Flat", "Apt.", "Unit", "3", "12", "b", "x", ",", "Ngata"]),
                      max_size=40).map(lambda t: "".join(t) * 3)


@settings(max_examples=400, deadline=None)
@given(_TAIL_TEXT, st.integers(0, 200))
def test_search_tail_is_the_search_from_the_start(text: str, end: int) -> None:
    end = min(end, len(text))
    for pattern, solid in ((addresses._UNIT_BEFORE, addresses._UNIT_SOLID), (persons._LINE_START, 0)):
        got, want = search_tail(pattern, text, end, solid), pattern.search(text, 0, end)
        assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


def test_search_tail_reads_far_back_when_it_must() -> None:
    text = "x" + " " * 500 + "\n" * 300 + "\t"
    assert search_tail(persons._LINE_START, text, len(text), 0).span() == \
        persons._LINE_START.search(text, 0, len(text)).span()


def _in_title_case_line(text: str, at: int) -> bool:      # the per-hit reading _TitleCaseLines replaces
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    words = [w for w in re.findall(r"[^\W\d_]+", text[start:end if end >= 0 else len(text)]) if len(w) >= 3]
    return len(words) >= 6 and sum(w[0].isupper() for w in words) / len(words) >= 0.7


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Aroha", "the", "Ngata", "and", "\n", " ", "Board", "of", "1"]), max_size=60)
       .map("".join))
def test_title_case_lines_as_the_per_hit_reading(text: str) -> None:
    lines = _TitleCaseLines(text)
    for at in [*range(len(text)), len(text)][::-1]:      # any order: each line's verdict is kept
        assert lines(at) == _in_title_case_line(text, at)


def _resolve_by_scan(hits: list[Hit]) -> list[Hit]:
    from anonymiser.detect.analyze import _merge_same_entity, _rank
    chosen: list[Hit] = []
    for hit in sorted(_merge_same_entity(hits), key=lambda h: (_rank(h), -h.score, -(h.end - h.start), h.start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


_HITS = st.builds(lambda b, entity, score: Hit(b[0], b[1], entity, score, "test"), _BOUNDS,
                  st.sampled_from(["PERSON", "PHONE_NUMBER", "STREET_ADDRESS", "ORGANIZATION", "NZ_IRD"]),
                  st.sampled_from([0.4, 0.6, 0.85, 1.0]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_HITS, max_size=14))
def test_resolve_overlaps_as_the_scan(hits: list[Hit]) -> None:
    assert resolve_overlaps(hits) == _resolve_by_scan(hits)
