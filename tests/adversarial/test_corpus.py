"""The corpus holds at least 75 cases and each file of it some (issue 11, item 9)."""

from __future__ import annotations

from collections import Counter

from tests.adversarial.corpus import HERE, MINIMUM, case_ids


def test_the_corpus_holds_at_least_75_cases_in_every_file() -> None:
    ids = case_ids()
    per_file = Counter(i.split("::", 1)[0].rsplit("/", 1)[-1] for i in ids)
    files = {p.name for p in HERE.glob("test_*.py")} - {"test_corpus.py"}
    assert len(ids) >= MINIMUM, per_file
    assert set(per_file) == files, files - set(per_file)   # no file of the corpus collects nothing
