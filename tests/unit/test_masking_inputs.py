"""What masking reads before it starts: the known-entity index from the kept rows, the source values from
all rows, and one read of a table when it is not subset."""

from __future__ import annotations

import gc
import multiprocessing
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from anonymiser import inputs as masking
from anonymiser.detect.known import KnownEntities
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.source_values import SourceValues
from anonymiser.plan import build_plan
from anonymiser.policy import parse_policy
from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo
from anonymiser.subset.result import RowFilter

SCHEMA = SchemaInfo(dialect="sqlite", tables={
    "person": TableInfo(name="person", primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="full_name", kind="string", sql_type="TEXT"),
        ColumnInfo(name="city", kind="string", sql_type="TEXT"),
        ColumnInfo(name="note", kind="string", sql_type="TEXT"))),
})
POLICY = """\
version: 1
tables:
  person:
    columns:
      id: keep
      full_name: {mask: person_name}
      city: keep
      note: {mask: free_text}
"""
ROWS = pa.table({"id": [1, 2, 3], "full_name": ["Aroha Ngata", "Mere Whata", None], "city": ["A", "B", "C"],
                 "note": ["x", "y", "z"]})


class Reader:
    def __init__(self) -> None:
        self.reads: list[tuple[tuple[str, ...], bool]] = []

    def read_table(self, table: TableInfo, *, row_filter: RowFilter | None = None,
                   chunk_rows: int = 0) -> Iterator[pa.RecordBatch]:
        columns = tuple(c.name for c in table.columns)
        self.reads.append((columns, row_filter is not None))
        rows = ROWS if row_filter is None else ROWS.filter(pc.is_in(ROWS["id"], row_filter.keys["id"]))
        yield from rows.select(list(columns)).to_batches(max_chunksize=2)


@pytest.mark.parametrize("subset", [False, True])
def test_index_from_kept_rows_source_values_from_all(subset: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = build_plan(parse_policy(POLICY, Path("p.yaml")), SCHEMA)
    kept = RowFilter(columns=("id",), keys=pa.table({"id": [1]})) if subset else None
    built: list[KnownEntities] = []
    monkeypatch.setattr(masking, "with_known", lambda known: built.append(known) or "finder")  # type: ignore[func-returns-value]
    reader = Reader()
    finder, values = masking.masking_inputs(reader, plan, SimpleNamespace(filters={"person": kept}), 2,  # type: ignore[arg-type]
                                            lambda *a, **k: None)
    assert finder == "finder"
    assert reader.reads == ([(("id", "full_name"), True), (("id", "full_name"), False)] if subset
                            else [(("id", "full_name"), False)])
    names = {n: bool(built[0].find_one(f"Call {n} today")) for n in ("Aroha Ngata", "Mere Whata")}
    assert names == {"Aroha Ngata": True, "Mere Whata": not subset}
    strategy = plan.tables["person"].columns[1].strategy
    assert isinstance(strategy, PseudonymStrategy)
    hits = values.hits(strategy.domain, pa.array(["aroha ngata", "mere whata", "someone else"]))
    assert isinstance(values, SourceValues) and hits.tolist() == [True, True, False]


def _slow_read() -> tuple[KnownEntities | None, SourceValues]:
    time.sleep(120)
    raise AssertionError("never reached: the reader is stopped")


def _quick_read() -> tuple[KnownEntities | None, SourceValues]:
    known = KnownEntities()
    known.add("PERSON", ["Aroha Ngata"])
    known.freeze()
    return known, SourceValues()


def _ahead(monkeypatch: pytest.MonkeyPatch, read: Callable[[], Any]) -> Any:
    monkeypatch.setattr(masking, "_read_ahead", read)
    conn = SimpleNamespace(dialect=SimpleNamespace(name="postgresql"))
    plan = build_plan(parse_policy(POLICY, Path("p.yaml")), SCHEMA)
    subset = SimpleNamespace(filters={}, source_rows={"person": 3})
    return masking.masking_inputs_ahead(conn, Reader(), plan, subset, source_url="postgresql://unused", jobs=2,  # type: ignore[arg-type]
                                        chunk_rows=2, progress=lambda *a, **k: None)


def test_inputs_read_ahead_by_a_forked_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs > 1 the index and source values come from a forked process, frozen, through a pipe."""
    before = multiprocessing.active_children()
    with _ahead(monkeypatch, _quick_read) as inputs:
        finder, values = inputs()
    assert finder(["Call Aroha Ngata"], entities=["PERSON"], threshold=0.5)[0]
    assert isinstance(values, SourceValues)
    assert multiprocessing.active_children() == before
    freed = weakref.ref(values)        # nothing else holds them (run frees them before the dump and verification)
    del finder, values
    gc.collect()
    assert freed() is None and inputs is not None


def test_a_failure_meanwhile_stops_the_reader_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Detection failing (or Ctrl-C) while the inputs are read stops the reading process: nothing is left."""
    before = set(multiprocessing.active_children())
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="detection failed"), _ahead(monkeypatch, _slow_read):
        assert set(multiprocessing.active_children()) - before, "the reader was not forked"
        raise RuntimeError("detection failed")
    assert time.monotonic() - started < 30
    deadline = time.monotonic() + 10      # stopped at once; under load the exit itself can take a moment
    while set(multiprocessing.active_children()) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(multiprocessing.active_children()) == before


def test_a_big_source_is_read_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above READ_AHEAD_MAX_ROWS the inputs are read here (the pipe would hold them twice), when asked for."""
    monkeypatch.setattr(masking, "READ_AHEAD_MAX_ROWS", 2)
    monkeypatch.setattr(masking, "masking_inputs", lambda *args: ("finder", "values"))
    before = set(multiprocessing.active_children())
    with _ahead(monkeypatch, _slow_read) as inputs:
        assert set(multiprocessing.active_children()) == before
        assert inputs() == ("finder", "values")
