"""Free text is masked once per distinct text of a table (pool.py), and each cell comes out exactly as masking its
chunk on its own gives it: serial or on workers, texts repeated across chunks, texts still in flight in an
earlier chunk, a cache cleared between chunks, NULLs, a chunk of NULLs only."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from anonymiser import pool
from anonymiser.detect.analyze import Hit
from anonymiser.plan import build_plan
from anonymiser.policy import parse_policy
from anonymiser.pool import MaskJob, MaskPool, mask_columns
from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo

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
    assert _per_table(got) == _per_table(chunks)     # a table's chunks in their order (tables may overtake)
    got = sorted(got, key=lambda chunk: chunk[0])      # stable: first_log's, then second_log's, as in ``chunks``
    for (_, batch), want in zip(got, expected, strict=True):
        assert (batch is None) == (want is None)
        if batch is not None:
            assert batch.column(1).equals(want), "a masked text differs from masking its chunk alone"
    first = {v for _, b in got[:3] if b is not None for v in b.column(1).to_pylist() if v}
    assert max(len(v) for v in first) <= 12


def _per_table(chunks: Sequence[tuple[str, pa.RecordBatch | None]]) -> dict[str, list[int | None]]:
    """Each table's chunks in the order given, as their row counts (None: the table's end)."""
    out: dict[str, list[int | None]] = {}
    for table, batch in chunks:
        out.setdefault(table, []).append(None if batch is None else batch.num_rows)
    return out


def slow_finder(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Hit]]:
    time.sleep(0.4)      # a table whose free text keeps the workers busy
    return finder(texts, entities=entities, threshold=threshold)


OVERTAKE = SchemaInfo(dialect="sqlite", tables={
    "ticket": TableInfo(name="ticket", primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="body", kind="string", sql_type="TEXT"))),
    "account": TableInfo(name="account", primary_key=("id",), unique=(("email",),), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="email", kind="string", sql_type="TEXT"),
        ColumnInfo(name="body", kind="string", sql_type="TEXT"))),
    "login": TableInfo(name="login", primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="email", kind="string", sql_type="TEXT")),
        foreign_keys=(ForeignKey(columns=("email",), ref_table="account", ref_columns=("email",)),)),
    "audit": TableInfo(name="audit", primary_key=("id",), columns=(
        ColumnInfo(name="id", kind="integer", sql_type="INTEGER"),
        ColumnInfo(name="action", kind="string", sql_type="TEXT"))),
})
OVERTAKE_POLICY = """\
version: 1
tables:
  ticket:
    columns: {id: keep, body: {mask: free_text}}
  account:
    columns: {id: keep, email: {mask: email}, body: {mask: free_text}}
  login:
    columns: {id: keep, email: {mask: email}}
  audit:
    columns: {id: keep, action: keep}
"""


def _overtake_chunks() -> list[tuple[str, pa.RecordBatch | None]]:
    rng = random.Random(11)
    emails = [f"{rng.choice(NAMES).lower()}{i}@example.co.nz" for i in range(400)]
    chunks: list[tuple[str, pa.RecordBatch | None]] = []
    for table, rows in (("ticket", 300), ("audit", 100), ("account", 200), ("login", 250)):
        for c in range(2):
            ids = pa.array(range(c * rows, (c + 1) * rows), pa.int64())
            columns: dict[str, pa.Array] = {"id": ids}
            if table in ("account", "login"):      # the same addresses: logins follow their account's fake
                columns["email"] = pa.array([emails[(i * 7 + c) % len(emails)] for i in range(rows)], pa.string())
            if table in ("ticket", "account"):
                columns["body"] = pa.array([f"{rng.choice(NAMES)} wrote {c}.{i}" for i in range(rows)], pa.string())
            if table == "audit":
                columns["action"] = pa.array(["login"] * rows, pa.string())
            chunks.append((table, pa.record_batch(columns)))
        chunks.append((table, None))
    return chunks


def test_chunks_needing_no_worker_overtake_a_table_in_the_workers() -> None:
    """While the workers mask a table's free text, the chunks that need no worker (a table passed through) are
    finished at once; each table's chunks keep their order, and the chunks of columns masked in the parent (a
    unique column and the foreign key sharing its collision resolver) keep theirs, so the cells are those of a
    serial run."""
    plan = build_plan(parse_policy(OVERTAKE_POLICY, Path("p.yaml")), OVERTAKE)
    chunks = _overtake_chunks()
    job = MaskJob(plan, KEY, slow_finder)
    assert job.in_parent["account"] == [1] and job.in_parent["login"] == [1] and not job.in_parent["ticket"]
    with MaskPool(MaskJob(plan, KEY, finder), 1) as serial:
        expected = list(serial.masked(chunks))
    assert [t for t, _ in expected] == [t for t, _ in chunks]      # one process: in the order given
    with MaskPool(job, 2) as masking:
        got = list(masking.masked(chunks))
    order = [t for t, _ in got]
    assert _per_table(got) == _per_table(chunks)
    # audit (passed through) is written while ticket's and account's free text is in the workers;
    assert order.index("audit") < order.index("ticket")
    # login's email shares account's collision resolver: masked in the parent after account's, never before.
    assert order.index("login") > max(i for i, t in enumerate(order) if t == "account")
    for table in ("ticket", "account", "login", "audit"):
        mine = [b for t, b in got if t == table]
        want = [b for t, b in expected if t == table]
        for batch, serial_batch in zip(mine, want, strict=True):
            assert (batch is None) == (serial_batch is None)
            if batch is not None and serial_batch is not None:
                assert batch.equals(serial_batch), f"{table}: a chunk differs from the serial run's"


def test_read_order_puts_free_text_the_workers_mask_first() -> None:
    plan = build_plan(parse_policy(OVERTAKE_POLICY, Path("p.yaml")), OVERTAKE)
    job = MaskJob(plan, KEY, finder)
    load = OVERTAKE.load_order()
    order = job.read_order(load)
    assert sorted(order) == sorted(load)
    assert order[0] == "ticket"     # free text, nothing masked in the parent
    # the others keep load order: account (free text, but a unique column masked in the parent) before login
    assert [t for t in order if t != "ticket"] == [t for t in load if t != "ticket"]
