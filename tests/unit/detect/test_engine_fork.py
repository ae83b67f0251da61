"""A forked worker uses the engine its parent built: it never builds a second one (issue 12 item 9)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from anonymiser.detect import analyze
from anonymiser.detect.engine import _engine, get_engine


def _in_worker(spec: str) -> tuple[int, int, int]:
    """What a worker sees: the engine's identity, the builds so far, and spans found through the real path."""
    misses = _engine.cache_info().misses
    engine = get_engine(spec)
    hits = analyze._worker(spec, ["Call Aroha Ngata on 021 555 1234."], None, analyze.FREE_TEXT_THRESHOLD, None)
    return id(engine), _engine.cache_info().misses - misses, len(hits[0])


def test_forked_workers_reuse_the_parents_engine() -> None:
    engine = get_engine("blank")
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        seen = list(pool.map(_in_worker, [engine.spec] * 4))
    for identity, builds, spans in seen:
        assert identity == id(engine)     # the parent's object, inherited by fork
        assert builds == 0                # no engine built in the worker
        assert spans >= 2                 # and it works there: the name and the phone
