"""The leak search finds the same with one process as with several (forked workers, merged in order)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from anonymiser.source.introspect import introspect
from anonymiser.verify import cells, leaks, leaksearch, outputs
from anonymiser.verify.model import Failure, LeakScan
from anonymiser.write.parquet import read_batches
from tests.unit.verify.builder import build_output

T = TypeVar("T")


def test_parts_read_apart_are_the_batches_read_in_a_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "BATCH_ROWS", 7)
    path = tmp_path / "t.parquet"
    table = pa.table({"id": list(range(50)), "text": [f"row {i}" for i in range(50)]})
    pq.write_table(table, path, row_group_size=5)          # row groups that batches straddle
    parts = [outputs.Part(path, s, min(s + 7, 50)) for s in range(0, 50, 7)]
    assert [outputs.read_part(p) for p in parts] == list(read_batches(path, None, 7))
    assert [outputs.read_part(p, ["text"]) for p in parts] == list(read_batches(path, ["text"], 7))


def test_findings_do_not_depend_on_the_number_of_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           forked_runs: list[str]) -> None:
    # Seeded faults: a real name and phone left in masked notes (a composite value pending its same-row check,
    # and a strict one), a real e-mail in a kept column, an unchanged date of birth; the rotated fake names
    # and cities make coincidences. Batches of 7 rows: every table is searched in several parts.
    built = build_output(tmp_path, leak_in_notes=True, email_in_kept=True, unchanged_dob=True)
    monkeypatch.setattr(outputs, "PART_ROWS", 7)
    engine = sa.create_engine(built.source_url)
    try:
        with engine.connect() as conn:
            schema = introspect(conn)
            scans = {jobs: leaks.scan(built.directory, built.manifest, conn, schema, jobs=jobs) for jobs in (1, 3)}
    finally:
        engine.dispose()
    (one, one_failures), (three, three_failures) = scans[1], scans[3]
    # With 3 jobs, the same-row checks ran in a process of their own.
    assert forked_runs == ["_same_rows_beside.<locals>.check_all"]
    assert one.model_dump() == three.model_dump()
    assert one_failures == three_failures
    assert one.leaks > 0 and one.unchanged > 0 and one.coincidences > 0
    assert any(h.kind == "leak" and h.in_free_text and h.source_column == "full_name" for h in one.hits)
    assert len(outputs.batch_parts(built.directory, built.manifest, "customer")) > 3


def test_findings_do_not_depend_on_searching_distinct_values_once(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A column is searched a distinct value at a time when it repeats, each value's hits counted once per cell.
    # Seeded: the note that leaks row id=3's real name and phone is copied to two more rows, whose own source
    # rows never held that name, so each copy must be checked against its own row: one leak, not three.
    built = build_output(tmp_path, leak_in_notes=True, email_in_kept=True, unchanged_dob=True)
    path = built.directory / "parquet" / "customer.parquet"
    frame = pq.read_table(path).to_pandas()
    frame.loc[[10, 20], "notes"] = frame.loc[2, "notes"]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    engine = sa.create_engine(built.source_url)
    scans: dict[str, tuple[LeakScan, list[Failure]]] = {}
    try:
        with engine.connect() as conn:
            schema = introspect(conn)
            scans["distinct"] = leaks.scan(built.directory, built.manifest, conn, schema)
            monkeypatch.setattr(cells, "_encoded", lambda values: None)      # every column cell by cell
            scans["each"] = leaks.scan(built.directory, built.manifest, conn, schema)
    finally:
        engine.dispose()
    (each, each_failures), (distinct, distinct_failures) = scans["each"], scans["distinct"]
    assert each.model_dump() == distinct.model_dump()
    assert each_failures == distinct_failures
    names = {h.kind: h.count for h in each.hits if h.in_free_text and h.source_column == "full_name"}
    assert names["leak"] == 1 and names["coincidence"] >= 2


def test_findings_do_not_depend_on_the_rows_a_part_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A part reads its row groups once and is searched in batches of SEARCH_ROWS: parts of 1, 4 or 9 batches of
    # 7 rows find what whole tables searched at once find (row groups of 10 rows: parts straddle them).
    built = build_output(tmp_path, leak_in_notes=True, email_in_kept=True, unchanged_dob=True)
    for path in (built.directory / "parquet").glob("*.parquet"):
        pq.write_table(pq.read_table(path), path, row_group_size=10)
    engine = sa.create_engine(built.source_url)
    scans = []
    try:
        with engine.connect() as conn:
            schema = introspect(conn)
            scans.append(leaks.scan(built.directory, built.manifest, conn, schema))   # a table a batch
            monkeypatch.setattr(outputs, "SEARCH_ROWS", 7)
            for batches in (1, 4, 9):
                monkeypatch.setattr(outputs, "PART_ROWS", 7 * batches)
                scans.append(leaks.scan(built.directory, built.manifest, conn, schema, jobs=2))
    finally:
        engine.dispose()
    assert all(scan[0].model_dump() == scans[0][0].model_dump() and scan[1] == scans[0][1] for scan in scans)
    assert scans[0][0].leaks > 0 and scans[0][0].coincidences > 0


def test_free_text_is_searched_first_and_the_order_changes_no_finding(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables holding free text are searched first (their token runs are most of the work); the findings are the
    same in any order of the tables."""
    built = build_output(tmp_path, leak_in_notes=True, email_in_kept=True, unchanged_dob=True)
    # The manifest's tables listed with the one holding free text last.
    manifest = built.manifest.model_copy(update={"tables": dict(reversed(built.manifest.tables.items()))})
    monkeypatch.setattr(outputs, "PART_ROWS", 7)
    orders: list[list[str]] = []
    first = leaksearch.Search._search_order

    def recorded(self: leaksearch.Search) -> list[str]:
        orders.append(first(self))
        return orders[-1]

    engine = sa.create_engine(built.source_url)
    try:
        with engine.connect() as conn:
            schema = introspect(conn)
            monkeypatch.setattr(leaksearch.Search, "_search_order", recorded)
            chosen = leaks.scan(built.directory, manifest, conn, schema, jobs=2)
            monkeypatch.setattr(leaksearch.Search, "_search_order", lambda self: list(reversed(orders[0])))
            reversed_order = leaks.scan(built.directory, manifest, conn, schema, jobs=2)
    finally:
        engine.dispose()
    tables = list(manifest.tables)
    prose = [t for t in tables if any(m.strategy == "free_text" for m in manifest.tables[t].masking.values())]
    assert prose == tables[-1:]
    assert orders == [prose + tables[:-1]]
    assert chosen[0].model_dump() == reversed_order[0].model_dump() and chosen[1] == reversed_order[1]
    assert chosen[0].leaks > 0
