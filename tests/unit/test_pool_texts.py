"""Free text is masked once per distinct text of a table (pool.py), and each cell comes out exactly as masking its
chunk on its own gives it: serial or on workers, texts repeated across chunks, texts still in flight in an
earlier chunk, a cache cleared between chunks, NULLs, a chunk of NULLs only."""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from anonymiser import pool
from anonymiser.detect.analyze import Hit
from anonymiser.plan import build_plan
from anonymiser.policy import parse_policy
from anonymiser.pool import MaskJob, MaskPool, mask_columns
from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo

SCHEMA = SchemaInfo(dialect="sqlite", tables={
    "note_log": TableInfo(name="note_log", primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="author", kind="string", sql_type="TEXT"),
        ColumnInfo(name="body", kind="string", sql_type="TEXT", length=90))),
})
POLICY = """\
version: 1
tables:
  note_log:
    columns:
      id: keep
      author: {mask: person_name}
      body: {mask: free_text}
"""
KEY = b"k" * 32
NAMES = ["Aroha", "Ngata", "Mere", "Whata", "Tama", "Hemi", "Sione", "Priya", "Wei", "Olsen"]
analysed: list[str] = []


def finder(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Hit]]:
    """Capitalised words are people: deterministic, and it records what it was asked to analyse."""
    analysed.extend(texts)
    return [[Hit(m.start(), m.end(), "PERSON", 0.9, "test") for m in re.finditer(r"\b[A-Z][a-z]+\b", text)]
            for text in texts]


def _chunks(rows_per_chunk: int, chunks: int) -> list[pa.RecordBatch]:
    rng = random.Random(7)
    common = [f"Called {rng.choice(NAMES)} {rng.choice(NAMES)} about order {i}" for i in range(300)]
    out, next_id = [], 0
    for c in range(chunks):
        bodies: list[str | None] = []
        for _ in range(rows_per_chunk):
            pick = rng.random()
            if pick < 0.1:
                bodies.append(None)
            elif pick < 0.7:
                bodies.append(rng.choice(common))              # repeated within and across chunks
            else:
                bodies.append(f"{rng.choice(NAMES)} wrote {rng.random():.6f} " + "long " * rng.randint(0, 40))
        if c == 2:
            bodies = [None] * rows_per_chunk                   # a chunk of NULLs only
        ids = list(range(next_id, next_id + rows_per_chunk))
        next_id += rows_per_chunk
        out.append(pa.record_batch({"id": pa.array(ids, pa.int64()),
                                    "author": pa.array([rng.choice(NAMES) for _ in ids], pa.string()),
                                    "body": pa.array(bodies, pa.string())}))
    return out


@pytest.mark.parametrize(("jobs", "cache_chars"), [(1, 10**9), (1, 5_000), (2, 10**9), (2, 5_000), (3, 20_000)])
def test_each_cell_as_its_chunk_alone_masks_it(jobs: int, cache_chars: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "TEXT_CACHE_CHARS", cache_chars)
    monkeypatch.setattr(pool, "MIN_PIECE_CHARS", 2_000)      # several pieces per chunk on the workers
    plan = build_plan(parse_policy(POLICY, Path("p.yaml")), SCHEMA)
    table_plan = plan.tables["note_log"]
    job = MaskJob(plan, KEY, finder)
    assert job.per_text["note_log"] == [2] and job.in_worker["note_log"] == [1]
    batches = _chunks(1_000, 6)
    expected = [mask_columns(b, table_plan, KEY, job.out_schemas["note_log"], [1, 2], finder) for b in batches]
    analysed.clear()
    with MaskPool(job, jobs) as masking:
        got = list(masking.masked([*(("note_log", b) for b in batches), ("note_log", None)]))
    assert got[-1] == ("note_log", None)
    assert len(got) == len(batches) + 1
    for (table, batch), want, source in zip(got, expected, batches, strict=False):
        assert table == "note_log" and batch is not None
        assert batch.column(0).equals(source.column(0))
        assert batch.column(1).equals(want[1])
        assert batch.column(2).equals(want[2]), "a masked text differs from masking its chunk alone"
    if jobs == 1 and cache_chars > 10**6:    # in this process: every distinct text of the table analysed once
        distinct = {t for b in batches for t in b.column(2).to_pylist() if t is not None}
        assert sorted(analysed) == sorted(distinct)


def test_text_pieces_split_by_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "MIN_PIECE_CHARS", 100)
    plan = build_plan(parse_policy(POLICY, Path("p.yaml")), SCHEMA)
    masking = MaskPool(MaskJob(plan, KEY, finder), 1)
    masking.jobs = 3
    texts = ["x" * 500] + ["y"] * 1000
    pieces = masking._text_pieces(texts, pa.string())
    assert [t for p in pieces for t in p.to_pylist()] == texts      # every text once, in order
    assert len(pieces) == 3
    assert pieces[0].to_pylist() == ["x" * 500]    # the long text is a third of the characters on its own


TWO_TABLES = SchemaInfo(dialect="sqlite", tables={
    name: TableInfo(name=name, primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="body", kind="string", sql_type="TEXT", length=length)))
    for name, length in (("first_log", 12), ("second_log", None))
})
TWO_POLICY = """\
version: 1
tables:
  first_log:
    columns:
      id: keep
      body: {mask: free_text}
  second_log:
    columns:
      id: keep
      body: {mask: free_text}
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_table_ends_while_its_chunks_are_in_flight(jobs: int) -> None:
    """The next table's chunks are submitted before the last ones of the table before it are finished (its text
    cache already dropped): each table's texts are masked as its own chunks alone mask them, with that table's
    length cut, whichever table saw a text first; a reader's large_string column too."""
    plan = build_plan(parse_policy(TWO_POLICY, Path("p.yaml")), TWO_TABLES)
    job = MaskJob(plan, KEY, finder)
    texts = ["Aroha Ngata rang about the invoice", "Mere Whata", None, "", "Tama wrote back"]
    chunks: list[tuple[str, pa.RecordBatch | None]] = []
    for table in ("first_log", "second_log"):
        for c in range(3):
            bodies = [texts[(c + i) % len(texts)] for i in range(150)]
            chunks.append((table, pa.record_batch({"id": pa.array(range(150), pa.int64()),
                                                   "body": pa.array(bodies, pa.large_string())})))
        chunks.append((table, None))
    expected = [None if b is None else
                mask_columns(b, plan.tables[t], KEY, job.out_schemas[t], [1], finder)[1] for t, b in chunks]
    with MaskPool(job, jobs) as masking:
        got = list(masking.masked(chunks))
    assert [t for t, _ in got] == [t for t, _ in chunks]
    for (_, batch), want in zip(got, expected, strict=True):
        assert (batch is None) == (want is None)
        if batch is not None:
            assert batch.column(1).equals(want), "a masked text differs from masking its chunk alone"
    first = {v for _, b in got[:3] if b is not None for v in b.column(1).to_pylist() if v}
    assert max(len(v) for v in first) <= 12
