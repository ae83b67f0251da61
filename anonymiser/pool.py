"""Masking chunks on every core: a bounded pool of forked workers (``run --jobs N``).

The parent reads the tables in load order, chunk by chunk, and hands each chunk to the pool; at most
``2 × jobs`` chunks are in flight, so memory stays bounded whatever the table sizes. A worker masks
its chunk's columns (free text included: the span analysis is most of a run's work) and sends the
masked arrays back; the parent writes chunks in the order it read them. Tables overlap: the next
table's chunks are read and masked while the previous table's last ones are being finished.

Same bytes as ``--jobs 1``: every worker masks exactly what a serial run masks for that chunk
(same chunk boundaries, strategies are pure functions of key, params and the chunk). The only state
carried from chunk to chunk is a unique column's collision resolver (``mask/unique.py``), shared
with the foreign keys that follow it: such columns are masked in the parent, in read order, as a
serial run masks them. The output (Parquet, dumps, manifest hashes) does not depend on ``--jobs``.

Workers are forked once the run's read-only state exists (plan, key, span finder with its
known-entity index, source values, detection engine): they inherit it and build nothing again.
Inside a worker the analyzer's own process split is off (one core each).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType

import pyarrow as pa
import pyarrow.compute as pc

from anonymiser import forked
from anonymiser.detect.analyze import WORKERS_ENV
from anonymiser.errors import MaskError
from anonymiser.mask.base import MaskContext, SpanFinder
from anonymiser.mask.source_values import SourceValues
from anonymiser.plan import Plan, TablePlan
from anonymiser.source.read import arrow_schema

IN_FLIGHT_PER_JOB = 2    # chunks queued per worker: enough to keep it busy, few enough to bound memory
MIN_PIECE_ROWS = 2_000   # a chunk is split over the workers down to pieces of this size


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
        column_plan = table_plan.columns[i]
        source = batch.column(i)
        context = MaskContext(key=key, table=table_plan.table.name, column=column_plan.column,
                              unique=column_plan.injective, batch=batch, find_spans=find_spans,
                              source_values=source_values,
                              case_insensitive=table_plan.table.compares_case_insensitively(column_plan.column))
        out = column_plan.strategy.mask_column(source, context)
        masked[i] = _fit_output(out, out_schema.field(i).type, table_plan.table.name, column_plan.output.name,
                                column_plan.output.length, len(source))
    return masked


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
    in_worker: dict[str, list[int]] = field(init=False)    # per table: columns masked by a worker

    def __post_init__(self) -> None:
        self.out_schemas = {name: arrow_schema(t.output_table()) for name, t in self.plan.tables.items()}
        stateful = {id(c.strategy) for t in self.plan.tables.values() for c in t.columns
                    if c.injective and not c.is_keep}
        self.in_parent, self.in_worker = {}, {}
        for name, table_plan in self.plan.tables.items():
            masked = _masked_columns(table_plan)
            self.in_parent[name] = [i for i in masked if id(table_plan.columns[i].strategy) in stateful]
            self.in_worker[name] = [i for i in masked if id(table_plan.columns[i].strategy) not in stateful]

    def mask(self, table: str, batch: pa.RecordBatch, columns: list[int]) -> dict[int, pa.Array]:
        return mask_columns(batch, self.plan.tables[table], self.key, self.out_schemas[table], columns,
                            self.find_spans, self.source_values)


_JOB: MaskJob | None = None     # the job a forked worker inherited


def _start_worker() -> None:
    os.environ[WORKERS_ENV] = "1"                    # the analyzer must not fork a pool of its own here


def _mask_in_worker(table: str, batch: pa.RecordBatch) -> dict[int, pa.Array]:
    assert _JOB is not None, "a mask worker needs the job it was forked with"
    return _JOB.mask(table, batch, _JOB.in_worker[table])


Chunk = tuple[str, pa.RecordBatch | None]    # (table, a chunk) or (table, None): the table's end


class MaskPool:
    """``masked(chunks)``: the chunks masked, in the order given, by ``jobs`` processes.

    With ``jobs`` = 1 (or where fork is unavailable) everything runs in this process, unchanged."""

    def __init__(self, job: MaskJob, jobs: int) -> None:
        self.job = job
        self.jobs = jobs if forked.can_fork() else 1
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> MaskPool:
        if self.jobs > 1 and any(self.job.in_worker.values()):
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
        """Each chunk masked (a table's end marker passed through), in the order of ``chunks``."""
        window: deque[tuple[str, pa.RecordBatch | None, list[Future[dict[int, pa.Array]]]]] = deque()
        limit = IN_FLIGHT_PER_JOB * self.jobs
        for table, batch in chunks:
            futures = []
            if batch is not None and self._executor is not None and self.job.in_worker[table]:
                futures = [self._executor.submit(_mask_in_worker, table, piece) for piece in self._pieces(batch)]
            window.append((table, batch, futures))
            while len(window) > limit or (window and window[0][1] is None):
                yield self._finish(*window.popleft())
        while window:
            yield self._finish(*window.popleft())

    def _pieces(self, batch: pa.RecordBatch) -> list[pa.RecordBatch]:
        """A chunk split over the workers, so one table's chunk (free text) keeps every core busy. Worker
        columns are masked cell by cell (the unique columns, masked per chunk, stay in the parent), so
        the pieces' cells are the chunk's cells."""
        size = max(MIN_PIECE_ROWS, -(-batch.num_rows // self.jobs))
        return [batch.slice(start, size) for start in range(0, batch.num_rows, size)] or [batch]

    def _finish(self, table: str, batch: pa.RecordBatch | None,
                futures: list[Future[dict[int, pa.Array]]]) -> Chunk:
        if batch is None:
            return table, None
        if futures:
            pieces = [future.result() for future in futures]
            masked = {i: pa.concat_arrays([piece[i] for piece in pieces]) for i in pieces[0]}
            masked.update(self.job.mask(table, batch, self.job.in_parent[table]))   # in read order, as serially
        else:
            masked = self.job.mask(table, batch, sorted(self.job.in_parent[table] + self.job.in_worker[table]))
        return table, _assemble(batch, masked, self.job.out_schemas[table])
