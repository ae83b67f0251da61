"""Masking chunks on every core: a bounded pool of forked workers (``run --jobs N``).

The parent reads the tables chunk by chunk (``MaskJob.read_order``: the tables whose free text only the
workers mask first, then load order) and hands each chunk to the pool; at most ``2 × jobs`` chunks are
in flight, so memory stays bounded whatever the table sizes. A worker masks its chunk's columns (free
text included: the span analysis is most of a run's work) and sends the masked arrays back; the parent
writes each table's chunks in the order it read them. Tables overlap: while the workers mask one
table's free text, the parent reads, masks and writes the tables that need no worker.

Same bytes as ``--jobs 1``: every worker masks exactly what a serial run masks for that chunk
(same chunk boundaries, strategies are pure functions of key, params and the chunk). The only state
carried from chunk to chunk is a unique column's collision resolver (``mask/unique.py``), shared
with the foreign keys that follow it: such columns are masked in the parent, in read order, as a
serial run masks them. The output (Parquet, dumps, manifest hashes) does not depend on ``--jobs``.

Free text (``Strategy.per_text``) is masked per distinct text, not per row: the parent sends the
workers only the texts of a chunk that no earlier chunk of the table had (split by characters over
the workers), and rebuilds the column from the masked texts. A distinct text's masked form does not
depend on the other texts, so the bytes are the same; repeated notes across chunks are detected once
(``TEXT_CACHE_CHARS`` bounds what is remembered).

Workers are forked once the run's read-only state exists (plan, key, span finder with its
known-entity index, source values, detection engine): they inherit it and build nothing again.
Inside a worker the analyzer's own process split is off (one core each).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser import forked
from anonymiser.detect.analyze import WORKERS_ENV
from anonymiser.errors import MaskError
from anonymiser.mask.base import MaskContext, SpanFinder
from anonymiser.mask.columnar import as_text, flat
from anonymiser.mask.source_values import SourceValues
from anonymiser.plan import ColumnPlan, Plan, TablePlan
from anonymiser.source.read import arrow_schema

IN_FLIGHT_PER_JOB = 2    # chunks queued per worker: enough to keep it busy, few enough to bound memory
MIN_PIECE_ROWS = 2_000   # a chunk is split over the workers down to pieces of this size
MIN_PIECE_CHARS = 50_000     # a chunk's new texts are split over the workers down to pieces of this size
# Characters of texts remembered per column across a table's chunks: ~70 MB for ASCII text, up to ~2x that for
# text with emoji (Python keeps those at 4 bytes a character).
TEXT_CACHE_CHARS = 16_000_000


def default_jobs() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def analyzer_processes(jobs: int) -> Iterator[None]:
    """The span analyzer (verify, detection of new columns) splits big batches over ``jobs`` processes."""
    previous = os.environ.get(WORKERS_ENV)
    os.environ[WORKERS_ENV] = str(jobs)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WORKERS_ENV, None)
        else:
            os.environ[WORKERS_ENV] = previous


def mask_columns(batch: pa.RecordBatch, table_plan: TablePlan, key: bytes, out_schema: pa.Schema,
                 columns: Iterable[int], find_spans: SpanFinder | None = None,
                 source_values: SourceValues | None = None) -> dict[int, pa.Array]:
    """The masked arrays of ``columns`` (indices into the table's columns) of one chunk."""
    masked: dict[int, pa.Array] = {}
    for i in columns:
        source = batch.column(i)
        out = _mask_one(source, table_plan, i, key, batch, find_spans, source_values)
        masked[i] = _fit(out, table_plan, out_schema, i, len(source))
    return masked


def _mask_one(values: pa.Array, table_plan: TablePlan, i: int, key: bytes, batch: pa.RecordBatch | None,
              find_spans: SpanFinder | None, source_values: SourceValues | None) -> pa.Array:
    column_plan = table_plan.columns[i]
    context = MaskContext(key=key, table=table_plan.table.name, column=column_plan.column,
                          unique=column_plan.injective, batch=batch, find_spans=find_spans,
                          source_values=source_values,
                          case_insensitive=table_plan.table.compares_case_insensitively(column_plan.column))
    return column_plan.strategy.mask_column(values, context)


def _fit(out: pa.Array, table_plan: TablePlan, out_schema: pa.Schema, i: int, rows: int) -> pa.Array:
    column_plan = table_plan.columns[i]
    return _fit_output(out, out_schema.field(i).type, table_plan.table.name, column_plan.output.name,
                       column_plan.output.length, rows)


def _per_text(column_plan: ColumnPlan) -> bool:
    strategy = column_plan.strategy
    return (strategy.per_text and not strategy.masks_elements(column_plan.column)
            and not strategy.referenced_columns() and not column_plan.injective)


def _masked_columns(table_plan: TablePlan) -> list[int]:
    return [i for i, c in enumerate(table_plan.columns) if not c.is_keep]


def _assemble(batch: pa.RecordBatch, masked: dict[int, pa.Array], out_schema: pa.Schema) -> pa.RecordBatch:
    arrays = [masked.get(i, batch.column(i)) for i in range(batch.num_columns)]
    return pa.RecordBatch.from_arrays(arrays, schema=out_schema)


def _fit_output(array: pa.Array, target: pa.DataType, table: str, column: str, length: int | None,
                rows: int) -> pa.Array:
    if len(array) != rows:
        raise MaskError(f"the strategy returned {len(array)} values for {rows} rows", table=table, column=column,
                        hint="This is a bug in the strategy: please report it.")
    try:
        if array.type != target:
            array = array.cast(target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise MaskError(f"the masked values do not fit the column type {target} ({type(exc).__name__})",
                        table=table, column=column,
                        hint="Choose a strategy that produces this type, or 'generalise'/'null'.") from None
    if length and pa.types.is_string(target) and len(array):
        longest = pc.max(pc.utf8_length(array)).as_py()
        if longest is not None and longest > length:
            raise MaskError(f"a masked value is {longest} characters long; the column allows {length}",
                            table=table, column=column, hint="This is a bug in the strategy: please report it.")
    return array


@dataclass
class MaskJob:
    """What masking needs besides the chunk: built once in the parent, inherited by every worker."""

    plan: Plan
    key: bytes
    find_spans: SpanFinder | None = None
    source_values: SourceValues | None = None
    out_schemas: dict[str, pa.Schema] = field(init=False)
    in_parent: dict[str, list[int]] = field(init=False)    # per table: columns masked in the parent
    in_worker: dict[str, list[int]] = field(init=False)    # per table: columns masked by a worker, by rows
    per_text: dict[str, list[int]] = field(init=False)     # per table: columns masked by distinct text

    def __post_init__(self) -> None:
        self.out_schemas = {name: arrow_schema(t.output_table()) for name, t in self.plan.tables.items()}
        stateful = {id(c.strategy) for t in self.plan.tables.values() for c in t.columns
                    if c.injective and not c.is_keep}
        self.in_parent, self.in_worker, self.per_text = {}, {}, {}
        for name, table_plan in self.plan.tables.items():
            masked = _masked_columns(table_plan)
            self.in_parent[name] = [i for i in masked if id(table_plan.columns[i].strategy) in stateful]
            free = [i for i in masked if id(table_plan.columns[i].strategy) not in stateful]
            self.per_text[name] = [i for i in free if _per_text(table_plan.columns[i])]
            self.in_worker[name] = [i for i in free if i not in self.per_text[name]]

    def read_order(self, load_order: list[str]) -> list[str]:
        """Tables in the order to read them: those with free text and no column masked in the parent first (the
        heaviest work, for the workers), then the others in load order. Only chunks with parent-masked columns
        depend on what came before them (a collision resolver's state), and their order is load order."""
        first = [t for t in load_order if self.per_text.get(t) and not self.in_parent.get(t)]
        return first + [t for t in load_order if t not in first]

    def mask(self, table: str, batch: pa.RecordBatch, columns: list[int]) -> dict[int, pa.Array]:
        return mask_columns(batch, self.plan.tables[table], self.key, self.out_schemas[table], columns,
                            self.find_spans, self.source_values)

    def mask_texts(self, table: str, column: int, texts: pa.Array) -> list[str | None]:
        """Distinct texts of a ``per_text`` column, each masked as a chunk holding it would mask it."""
        return _mask_one(texts, self.plan.tables[table], column, self.key, None, self.find_spans,
                         self.source_values).to_pylist()


_JOB: MaskJob | None = None     # the job a forked worker inherited


def _start_worker() -> None:
    os.environ[WORKERS_ENV] = "1"                    # the analyzer must not fork a pool of its own here


def _mask_in_worker(table: str, batch: pa.RecordBatch) -> dict[int, pa.Array]:
    assert _JOB is not None, "a mask worker needs the job it was forked with"
    return _JOB.mask(table, batch, _JOB.in_worker[table])


def _mask_texts_in_worker(table: str, column: int, texts: pa.Array) -> list[str | None]:
    assert _JOB is not None, "a mask worker needs the job it was forked with"
    return _JOB.mask_texts(table, column, texts)


class _NewTexts:
    """The texts of a chunk's column that no earlier chunk of its table had: masked by the workers
    (``futures``) or, in a serial run, here when the chunk is finished."""

    def __init__(self, texts: list[str], futures: list[Future[list[str | None]]]) -> None:
        self.texts = texts
        self.futures = futures
        self.masked: dict[str, str | None] | None = None    # set when the chunk is finished


@dataclass
class _ColumnTexts:
    """One chunk's ``per_text`` column: its distinct texts, and where each one's masked form comes from."""

    column: int
    encoded: pa.DictionaryArray
    distinct: list[str]               # the dictionary's texts, in its order
    known: dict[str, str | None]      # masked by an earlier, finished chunk (copied: the cache may be cleared)
    pending: list[_NewTexts]          # masked by earlier chunks still in flight
    new: _NewTexts                    # masked for this chunk


class _TextCache:
    """Per column of the table being masked: the masked form of each text seen so far (bounded), and the
    texts earlier chunks still in flight are masking."""

    def __init__(self) -> None:
        self.done: dict[str, str | None] = {}
        self.chars = 0
        self.pending: dict[str, _NewTexts] = {}


Chunk = tuple[str, pa.RecordBatch | None]    # (table, a chunk) or (table, None): the table's end
# A chunk handed to the pool: (table, chunk or None, the workers' futures of its pieces, its per-text columns).
_InFlight = tuple[str, pa.RecordBatch | None, list[Future[dict[int, pa.Array]]], list[_ColumnTexts]]


class MaskPool:
    """``masked(chunks)``: the chunks masked, in the order given, by ``jobs`` processes.

    With ``jobs`` = 1 (or where fork is unavailable) everything runs in this process, unchanged."""

    def __init__(self, job: MaskJob, jobs: int) -> None:
        self.job = job
        self.jobs = jobs if forked.can_fork() else 1
        self._executor: ProcessPoolExecutor | None = None
        self._texts: dict[tuple[str, int], _TextCache] = {}

    def __enter__(self) -> MaskPool:
        if self.jobs > 1 and (any(self.job.in_worker.values()) or any(self.job.per_text.values())):
            global _JOB
            if self.job.source_values is not None:
                self.job.source_values.freeze()   # sorted once here, not once per worker
            _JOB = self.job
            self._executor = forked.pool(self.jobs, _start_worker)   # forked now, before a source cursor is open
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        global _JOB
        executor, self._executor = self._executor, None
        _JOB = None
        if executor is None:
            return
        if exc_type is None:
            executor.shutdown(wait=True)
            return
        forked.stop(executor)     # interrupted or failed: queued chunks dropped, workers stopped now

    def masked(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """Each chunk masked (a table's end marker passed through); each table's chunks in the order of ``chunks``,
        tables overlapping (``_overtaking``)."""
        window: list[_InFlight] = []
        limit = IN_FLIGHT_PER_JOB * self.jobs
        for table, batch in chunks:
            futures, texts = [], []
            if batch is None:
                for column in self.job.per_text[table]:   # the table's chunks are all submitted
                    self._texts.pop((table, column), None)
            else:
                if self._executor is not None and self.job.in_worker[table]:
                    futures = [self._executor.submit(_mask_in_worker, table, piece) for piece in self._pieces(batch)]
                texts = [self._submit_texts(table, column, batch) for column in self.job.per_text[table]]
            window.append((table, batch, futures, texts))
            yield from self._overtaking(window)
            while sum(entry[1] is not None for entry in window) > limit:
                yield self._finish(*window.pop(0))
                yield from self._overtaking(window)
        while window:
            yield self._finish(*window.pop(0))

    def _overtaking(self, window: list[_InFlight]) -> Iterator[Chunk]:
        """The chunks of ``window`` that can be finished now, out of read order where they may be: a table's
        chunks stay in their order, and the chunks with columns masked in the parent (unique columns and the
        foreign keys sharing their collision resolver) stay in theirs, so every strategy sees what a serial
        run shows it. The others (a table passed through, or whose workers are done) need not wait behind a
        chunk of another table still in the workers: the parent writes them while the workers mask."""
        tables: set[str] = set()      # tables with a chunk still waiting ahead
        stateful_ahead = False        # a chunk with parent-masked columns still waiting ahead
        at = 0
        while at < len(window):
            table, batch, futures, texts = window[at]
            stateful = batch is not None and bool(self.job.in_parent[table])
            if table in tables or (stateful and stateful_ahead) or not _results_in(futures, texts):
                tables.add(table)
                stateful_ahead = stateful_ahead or stateful
                at += 1
                continue
            yield self._finish(*window.pop(at))

    def _submit_texts(self, table: str, column: int, batch: pa.RecordBatch) -> _ColumnTexts:
        """The chunk's distinct texts of ``column``; those no earlier chunk had go to the workers."""
        cache = self._texts.setdefault((table, column), _TextCache())
        encoded = pc.dictionary_encode(as_text(flat(batch.column(column))))
        known: dict[str, str | None] = {}
        pending: dict[int, _NewTexts] = {}
        new: list[str] = []
        distinct = encoded.dictionary.to_pylist()
        for text in distinct:
            if text in cache.done:
                known[text] = cache.done[text]
            elif text in cache.pending:
                owner = cache.pending[text]
                pending[id(owner)] = owner
            else:
                new.append(text)
        futures = []
        if self._executor is not None and new:
            futures = [self._executor.submit(_mask_texts_in_worker, table, column, piece)
                       for piece in self._text_pieces(new, encoded.dictionary.type)]
        owner = _NewTexts(new, futures)
        cache.pending.update(dict.fromkeys(new, owner))
        return _ColumnTexts(column, encoded, distinct, known, list(pending.values()), owner)

    def _text_pieces(self, texts: list[str], kind: pa.DataType) -> list[pa.Array]:
        """``texts`` split over the workers by characters (a chunk's cost is its prose, not its row count)."""
        array = pa.array(texts, kind)
        lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False)
        total = int(lengths.sum())
        pieces = max(1, min(self.jobs, total // MIN_PIECE_CHARS))
        if pieces == 1:
            return [array]
        bounds = np.searchsorted(np.cumsum(lengths), [total * k // pieces for k in range(1, pieces)], side="right")
        starts = [0, *(int(b) for b in bounds)]
        stops = [*starts[1:], len(texts)]
        return [array.slice(start, stop - start) for start, stop in zip(starts, stops, strict=True) if stop > start]

    def _finish_texts(self, table: str, chunk: _ColumnTexts) -> pa.Array:
        """The chunk's column rebuilt from its distinct texts' masked forms (earlier chunks are finished)."""
        new = chunk.new
        if new.futures:
            masked = [text for future in new.futures for text in future.result()]
        elif new.texts:
            masked = self.job.mask_texts(table, chunk.column, pa.array(new.texts, chunk.encoded.dictionary.type))
        else:
            masked = []
        new.masked = dict(zip(new.texts, masked, strict=True))
        cache = self._texts.get((table, chunk.column))
        if cache is not None:
            for text in new.texts:
                if cache.pending.get(text) is new:
                    del cache.pending[text]
            if cache.chars > TEXT_CACHE_CHARS:
                cache.done.clear()
                cache.chars = 0
            cache.done.update(new.masked)
            cache.chars += sum(len(t) for t in new.texts)
        lookups = [chunk.known, new.masked, *(owner.masked or {} for owner in chunk.pending)]
        distinct = [_first(lookups, text) for text in chunk.distinct]
        if not distinct:
            return pa.nulls(len(chunk.encoded), pa.string())
        return pc.take(pa.array(distinct, pa.string()), chunk.encoded.indices)

    def _pieces(self, batch: pa.RecordBatch) -> list[pa.RecordBatch]:
        """A chunk split over the workers, so one table's chunk (free text) keeps every core busy. Worker
        columns are masked cell by cell (the unique columns, masked per chunk, stay in the parent), so
        the pieces' cells are the chunk's cells."""
        size = max(MIN_PIECE_ROWS, -(-batch.num_rows // self.jobs))
        return [batch.slice(start, size) for start in range(0, batch.num_rows, size)] or [batch]

    def _finish(self, table: str, batch: pa.RecordBatch | None, futures: list[Future[dict[int, pa.Array]]],
                texts: list[_ColumnTexts]) -> Chunk:
        if batch is None:
            return table, None
        if futures:
            pieces = [future.result() for future in futures]
            masked = {i: pa.concat_arrays([piece[i] for piece in pieces]) for i in pieces[0]}
            masked.update(self.job.mask(table, batch, self.job.in_parent[table]))   # in read order, as serially
        else:
            masked = self.job.mask(table, batch, sorted(self.job.in_parent[table] + self.job.in_worker[table]))
        table_plan, out_schema = self.job.plan.tables[table], self.job.out_schemas[table]
        for chunk in texts:
            masked[chunk.column] = _fit(self._finish_texts(table, chunk), table_plan, out_schema, chunk.column,
                                        batch.num_rows)
        return table, _assemble(batch, masked, out_schema)


def _results_in(futures: list[Future[dict[int, pa.Array]]], texts: list[_ColumnTexts]) -> bool:
    """Whether the workers are done with a chunk (its own pieces and new texts; earlier chunks of its table,
    whose texts it may share, are finished before it)."""
    return all(f.done() for f in futures) and all(f.done() for chunk in texts for f in chunk.new.futures)


def _first(lookups: list[dict[str, str | None]], text: str) -> str | None:
    for lookup in lookups:
        if text in lookup:
            return lookup[text]
    raise KeyError("a text of the chunk was masked by no chunk")   # cannot happen: every text has an owner
