"""What masking needs from the whole source before it starts: the span finder (with the known entities when
a column is free text) and the source values of the columns masked by a keyed fake. With ``--jobs`` > 1 they are
read by a forked process while the run goes on (detection loads its engine meanwhile)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from anonymiser.detect.known import KnownEntities
from anonymiser.detect.spans import KNOWN_STRATEGIES, find_spans, with_known
from anonymiser.forked import can_fork
from anonymiser.forked import pool as forked_pool
from anonymiser.forked import stop as stop_pool
from anonymiser.mask.base import SpanFinder
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.source_values import SourceValues
from anonymiser.plan import Plan
from anonymiser.progress import Progress, silent
from anonymiser.source.bulk import SourceReader
from anonymiser.source.connect import connect, readable_elsewhere


def masking_inputs(reader: SourceReader, plan: Plan, subset: Any, chunk_rows: int,
                   progress: Progress) -> tuple[SpanFinder, SourceValues]:
    """The span finder (with the known entities when a column is free text) and the source values."""
    return _with_known(*_read_masking_inputs(reader, plan, subset, chunk_rows, progress))


def _with_known(known: KnownEntities | None, values: SourceValues) -> tuple[SpanFinder, SourceValues]:
    return (find_spans if known is None else with_known(known)), values


def _read_masking_inputs(reader: SourceReader, plan: Plan, subset: Any, chunk_rows: int,
                         progress: Progress) -> tuple[KnownEntities | None, SourceValues]:
    """What masking needs from the whole source before it starts, from one read of each table's columns
    that need it (two when the table is subset: the index takes the kept rows, the source values all):

    - the span finder: when a column is free text, it also finds the source values of every masked personal
      column of the run (known entities), so notes that quote another table's people get exactly that
      table's pseudonyms; the index keeps 12 bytes a value;
    - every source value (all rows, not only the subset) of each column masked by a keyed fake, per domain:
      a fake that equals one of them is drawn again (issue 12)."""
    known = KnownEntities() if plan.masks_free_text() else None
    values = SourceValues()
    read = 0
    for name, table_plan in plan.tables.items():
        row_filter = subset.filters.get(name)
        wanted = [(c.column.name, KNOWN_STRATEGIES[c.strategy.name]) for c in table_plan.columns
                  if c.strategy.name in KNOWN_STRATEGIES and getattr(c.strategy.params, "domain", None) is None]
        if known is None or (row_filter is not None and row_filter.is_empty):
            wanted = []
        fakes = [c for c in table_plan.columns if isinstance(c.strategy, PseudonymStrategy)]
        reads = [([n for n, _ in wanted], row_filter, wanted, []), ([c.column.name for c in fakes], None, [], fakes)]
        if row_filter is None:    # one read serves both
            reads = [(reads[0][0] + reads[1][0], None, wanted, fakes)]
        for columns, rows, known_columns, fake_columns in reads:
            if not columns:
                continue
            keep = set(columns) | set(table_plan.table.primary_key)
            narrow = table_plan.table.model_copy(update={"columns": tuple(c for c in table_plan.table.columns
                                                                           if c.name in keep)})
            for batch in reader.read_table(narrow, row_filter=rows, chunk_rows=chunk_rows):
                for column, entity in known_columns:
                    assert known is not None
                    known.add(entity, batch.column(column))
                for c in fake_columns:
                    strategy = c.strategy
                    assert isinstance(strategy, PseudonymStrategy)
                    values.add(strategy.domain, strategy.normaliser, batch.column(c.column.name))
                if fake_columns:
                    read += batch.num_rows
                    progress(f"source values {name}", read, None)
        if wanted and known is not None:
            progress(f"known values {name}", known.values, None, "values")
    if known is not None:
        known.freeze()
    values.freeze()
    return known, values


# The read-ahead saves the engine's load time (~1 s) whatever the size, and costs memory: its result crosses a pipe,
# and bench_10m at 2M rows peaked 82 MiB higher with it (501 -> 583 MiB). Bigger sources are read in-process.
READ_AHEAD_MAX_ROWS = 2_000_000
_AHEAD: tuple[Plan, Any, str, int] | None = None    # what the forked reader of the masking inputs inherits


def _read_ahead() -> tuple[KnownEntities | None, SourceValues]:
    assert _AHEAD is not None, "the reader of the masking inputs needs the run it was forked with"
    plan, subset, source_url, chunk_rows = _AHEAD
    with connect(source_url) as conn, SourceReader(conn) as reader:
        return _read_masking_inputs(reader, plan, subset, chunk_rows, silent)


@contextmanager
def masking_inputs_ahead(conn: Any, reader: SourceReader, plan: Plan, subset: Any, *, source_url: str, jobs: int,
                         chunk_rows: int,
                         progress: Progress) -> Iterator[Callable[[], tuple[SpanFinder, SourceValues]]]:
    """The masking inputs, read while this process goes on (detection loads its engine meanwhile): with
    ``--jobs`` > 1 and a source another connection reads alike, by a forked process on its own connection, which
    hands back the frozen index and source values (hashes only), when the tables hold at most
    ``READ_AHEAD_MAX_ROWS`` rows. Else read here when asked for."""
    global _AHEAD
    rows = sum(subset.source_rows.get(name, 0) for name in plan.tables)
    if jobs < 2 or not can_fork() or not readable_elsewhere(conn) or rows > READ_AHEAD_MAX_ROWS:
        yield lambda: masking_inputs(reader, plan, subset, chunk_rows, progress)
        return
    _AHEAD = (plan, subset, source_url, chunk_rows)
    try:
        executor = forked_pool(1)     # forks now: the process inherits _AHEAD
    finally:
        _AHEAD = None
    pending: list[Future[tuple[KnownEntities | None, SourceValues]]] = []

    def result() -> tuple[SpanFinder, SourceValues]:
        progress("known values and source values", 0, None)
        inputs = _with_known(*pending.pop().result())   # the future let go: it would keep them past masking
        progress("known values and source values", 1, 1)
        return inputs

    try:   # the submit inside: an interrupt right after it must stop the reader, or the exit waits for its read
        pending.append(executor.submit(_read_ahead))
        yield result
    except BaseException:
        stop_pool(executor)       # interrupted or failed: the reader is stopped, not waited for
        raise
    executor.shutdown(wait=True)
