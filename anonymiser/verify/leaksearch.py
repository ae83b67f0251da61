"""Searching the output for the hashed source values (cells, and token runs inside free text)."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Generator
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser import forked
from anonymiser.detect.model import ColumnFinding
from anonymiser.lazy import lazy_import
from anonymiser.progress import Progress
from anonymiser.schema import SchemaInfo
from anonymiser.source.bulk import SourceReader
from anonymiser.verify import hashing, outputs
from anonymiser.verify.cells import Cells, distinct_cells
from anonymiser.verify.leakindex import COMPACT_MIN, COMPOSITE, STRICT, Index, Target, aligned_key, is_free_text
from anonymiser.verify.model import LEAKED_VALUE, UNCHANGED_VALUE, Failure, LeakHit, LeakScan
from anonymiser.write.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)


# (output table, output column, owner target, kind, inside free text) -> count
Hits = Counter[tuple[str, str, int, str, bool]]
PROSE_MEAN_TOKENS = 4.0      # a string column whose cells average this many words is searched as text


def _tally(hits: Hits, table: str, column: str, owner: np.ndarray, mask: np.ndarray, kind: str,
           free_text: bool, weight: np.ndarray | None = None) -> None:
    """Hits counted per owner; ``weight``: how many cells each value stands for (default one)."""
    if weight is None:
        owners, counts = np.unique(owner[mask], return_counts=True)
    else:
        owners, inverse = np.unique(owner[mask], return_inverse=True)
        counts = np.bincount(inverse, weights=weight[mask], minlength=len(owners)).round().astype(np.int64)
    for o, n in zip(owners.tolist(), counts.tolist(), strict=True):
        hits[(table, column, int(o), kind, free_text)] += int(n)


def _levels(index: Index, hashes: np.ndarray, digit: np.ndarray,
            compact_hashes: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(level or -1, owner or -1) per value from its hash; compact identifier forms count as strict. Compact
    entries all hold a digit (leaks.py keeps identifier-like values with one): only the values at positions
    ``digit`` can match, and ``compact_hashes(digit)`` makes their compact forms' hashes alone (of the values not
    strict already)."""
    full = index.find(hashes)
    level = np.where(full >= 0, index.level[np.maximum(full, 0)], -1)
    owner = np.where(full >= 0, index.owner[np.maximum(full, 0)], -1)
    digit = digit[level[digit] < STRICT]
    if len(index.compact) == 0 or len(digit) == 0:   # e.g. only names and e-mails were masked: nothing more
        return level, owner
    comp = np.full(len(hashes), -1, dtype=np.int64)
    comp[digit] = index.find_compact(compact_hashes(digit))
    by_compact = (comp >= 0) & (level < STRICT)
    owner = np.where(by_compact, index.compact_owner[np.maximum(comp, 0)], owner)
    level = np.where(by_compact, STRICT, level)
    return level, owner


def reads_as_prose(text: pa.Array) -> bool:
    words = pc.utf8_split_whitespace(text.slice(0, 1000))
    mean = pc.mean(pc.list_value_length(words)).as_py()
    return bool(mean and mean >= PROSE_MEAN_TOKENS)


IN_FLIGHT_PER_JOB = 2    # parts queued per worker: enough to keep it busy, few enough to bound memory


@dataclass
class Found:
    """What one part of an output table holds: hits, figures, and composite values pending a same-row check."""

    hits: Hits = field(default_factory=Counter)
    cells: int = 0
    ngrams: int = 0
    pending: dict[str, list[pd.DataFrame]] = field(default_factory=dict)


_SEARCH: Search | None = None    # the search a forked worker inherited


def _search_in_worker(table: str, part: outputs.Part) -> Found:
    assert _SEARCH is not None, "a leak-search worker needs the search it was forked with"
    return _SEARCH.search(table, part)


@dataclass
class Search:
    directory: Path
    manifest: Manifest
    source: SourceReader     # the source's rows as the run reads them (PostgreSQL: in bulk)
    source_schema: SchemaInfo
    index: Index
    hasher: hashing.Hasher
    result: LeakScan
    hits: Hits
    found: dict[tuple[str, str], ColumnFinding]

    def run(self, progress: Progress | None, jobs: int = 1) -> None:
        """Every output table searched, a batch (``outputs.Part``) at a time, by ``jobs`` processes; what they
        find is merged in the parts' order, so the findings do not depend on ``jobs``."""
        if len(self.index.hashes) == 0:
            return
        parts = [(table, part) for table in self._search_order()
                 for part in outputs.batch_parts(self.directory, self.manifest, table)]
        current: str | None = None
        pending: dict[str, list[pd.DataFrame]] = {}
        done = 0
        searched = self._searched(parts, jobs)
        with closing(searched):      # stopped here, whatever happens here (Ctrl-C): its workers with it
            for table, part, found in searched:
                if table != current:
                    if current is not None:
                        self._confirm_all(current, pending)
                    current, pending, done = table, {}, 0
                self.hits.update(found.hits)
                self.result.output_cells_scanned += found.cells
                self.result.free_text_ngrams_scanned += found.ngrams
                for column, frames in found.pending.items():
                    pending.setdefault(column, []).extend(frames)
                done += part.stop - part.start
                if progress:
                    progress(f"leak scan: searching {table}", done, self.manifest.tables[table].rows)
        if current is not None:
            self._confirm_all(current, pending)

    def _search_order(self) -> list[str]:
        """The output tables, those with free text first: their token runs are most of the search, and started
        first they do not finish alone on one core while the others wait."""
        prose = [t for t, entry in self.manifest.tables.items()
                 if any(is_free_text(masking, self.found.get((t, column)))
                        for column, masking in entry.masking.items())]
        return prose + [t for t in self.manifest.tables if t not in prose]

    def _searched(self, parts: list[tuple[str, outputs.Part]], jobs: int) \
            -> Generator[tuple[str, outputs.Part, Found], None, None]:
        """Each part searched, in order: here, or by a bounded pool of forked workers that inherit this search
        (its index and key) and are sent only the parts' names; ``IN_FLIGHT_PER_JOB × jobs`` parts at most are
        queued or held, so memory stays bounded."""
        if jobs <= 1 or len(parts) <= 1 or not forked.can_fork():
            for table, part in parts:
                yield table, part, self.search(table, part)
            return
        global _SEARCH
        self.index.prepare()        # the sieves built once, here, and shared with every worker
        _SEARCH = self
        executor = forked.pool(min(jobs, len(parts)))
        window: deque[tuple[str, outputs.Part, Future[Found]]] = deque()
        try:
            for table, part in parts:
                window.append((table, part, executor.submit(_search_in_worker, table, part)))
                while len(window) > IN_FLIGHT_PER_JOB * jobs:
                    table_, part_, future = window.popleft()
                    yield table_, part_, future.result()
            while window:
                table_, part_, future = window.popleft()
                yield table_, part_, future.result()
        except BaseException:
            forked.stop(executor)
            raise
        else:
            executor.shutdown(wait=True)
        finally:
            _SEARCH = None

    def search(self, table: str, part: outputs.Part) -> Found:
        """What one part of an output table holds of the index, searched a batch of ``SEARCH_ROWS`` at a time."""
        found = Found()
        batch = outputs.read_part(part)
        for start in range(0, batch.num_rows, outputs.SEARCH_ROWS):
            self._search_batch(found, table, batch.slice(start, outputs.SEARCH_ROWS))
        return found

    def _search_batch(self, found: Found, table: str, batch: pa.RecordBatch) -> None:
        entry = self.manifest.tables[table]
        info = self.manifest.schema_.tables.get(table)
        pk = list(info.primary_key) if info is not None else []
        aligned = aligned_key(self.manifest, table, pk) and table in self.source_schema.tables
        for column in batch.schema.names:
            masking = entry.masking.get(column)
            kept = masking is None or masking.kept
            cells = distinct_cells(batch.column(column))
            if cells is None or len(cells) == 0:
                continue
            self._cells(found, cells, table, column, kept)
            # Token runs of multi-word cells: a value can hide inside a longer string.
            spaced = np.asarray(pc.match_substring(cells.text, " "), dtype=bool)
            if not spaced.any():
                continue
            prose = is_free_text(masking, self.found.get((table, column))) or \
                (masking is not None and masking.strategy == "json") or \
                (info is not None and info.column(column).kind == "text") or reads_as_prose(cells.first(1000))
            mode = "kept" if kept else "masked_text" if prose else "masked_field"
            keys = batch.select(pk) if aligned and mode == "masked_text" else None
            self._grams(found, cells.subset(spaced), keys, table, column, mode)

    def _cells(self, found: Found, cells: Cells, table: str, column: str, kept: bool) -> None:
        found.cells += len(cells)
        text = cells.text
        digit = np.flatnonzero(hashing.has_digit(text) & (hashing.alnum_bound(text) >= COMPACT_MIN)) \
            if len(self.index.compact) else np.empty(0, np.int64)
        level, owner = _levels(self.index, hashing.value_hashes(self.hasher, text), digit,
                               lambda at: self.hasher.hash(hashing.compact(text.take(pa.array(at)))))
        leak = (level == STRICT) | ((level == COMPOSITE) & kept)
        _tally(found.hits, table, column, owner, leak, "leak", False, cells.weight)
        _tally(found.hits, table, column, owner, (level >= 0) & ~leak, "coincidence", False, cells.weight)

    def _grams(self, found: Found, texts: Cells, keys: pa.RecordBatch | None, table: str, column: str,
               mode: str) -> None:
        """Runs of tokens. Composite values: leaks in kept text; in masked free text, leaks unless the
        row can be checked against its source (then pending); in masked fields, coincidences. ``keys``: the
        batch's primary key, when the rows can be checked."""
        runs = hashing.token_runs(self.hasher, texts.text)
        hashes, cells = runs.hashes, runs.cells
        weight = texts.weight[cells]
        found.ngrams += int(weight.sum())
        digit = runs.shaped(runs.with_digit(COMPACT_MIN), self.index.compact_shapes) if len(self.index.compact) \
            else np.empty(0, np.int64)
        level, owner = _levels(self.index, hashes, digit, lambda at: runs.compact_hashes(self.hasher, at))
        composite = level == COMPOSITE
        pend = composite & (keys is not None)
        leak = (level == STRICT) | (composite & (mode == "kept" or (mode == "masked_text" and keys is None)))
        _tally(found.hits, table, column, owner, leak, "leak", True, weight)
        _tally(found.hits, table, column, owner, (level >= 0) & ~leak & ~pend, "coincidence", True, weight)
        if keys is not None and pend.any():
            rows, run = texts.rows_of(cells[pend])      # every row holding each pending run's text
            frame = keys.take(pa.array(rows)).to_pandas()
            frame["__gram"], frame["__owner"] = hashes[pend][run], owner[pend][run]
            found.pending.setdefault(column, []).append(frame)

    def _confirm_all(self, table: str, pending: dict[str, list[pd.DataFrame]]) -> None:
        info = self.manifest.schema_.tables.get(table)
        pk = list(info.primary_key) if info is not None else []
        for column, frames in pending.items():
            self._confirm(table, column, pk, pd.concat(frames, ignore_index=True))

    def _confirm(self, table: str, column: str, pk: list[str], pending: pd.DataFrame) -> None:
        """Composite values in masked free text: a leak only if the same row's source text held them."""

        info = self.source_schema.tables[table]
        confirmed = np.zeros(len(pending), dtype=bool)
        if column in info.column_names:
            wanted = pending[pk].drop_duplicates()
            reader = info.model_copy(update={"columns": tuple(c for c in info.columns
                                                              if c.name in pk or c.name == column)})
            for batch in self.source.read_table(reader):
                rows = batch.select(pk).to_pandas().reset_index().merge(wanted, on=pk)["index"].to_numpy()
                if len(rows) == 0:
                    continue
                part = batch.take(pa.array(rows))
                prepared = hashing.prepared(part.column(column))
                if prepared is None:
                    continue
                runs = hashing.token_runs(self.hasher, prepared[0])
                src = part.select(pk).take(pa.array(prepared[1][runs.cells])).to_pandas()
                src["__gram"] = runs.hashes
                marked = pending.reset_index().merge(src.drop_duplicates(), on=[*pk, "__gram"])["index"]
                confirmed[marked.to_numpy()] = True
        else:
            confirmed[:] = True  # cannot compare with the source row: count as leaks, never hide them
        owner = pending["__owner"].to_numpy()
        _tally(self.hits, table, column, owner, confirmed, "leak", True)
        _tally(self.hits, table, column, owner, ~confirmed, "coincidence", True)


def summarise(result: LeakScan, targets: list[Target], hits: Hits) -> tuple[LeakScan, list[Failure]]:
    failures: list[Failure] = []
    for (table, column, owner, kind, free_text), count in sorted(hits.items()):
        src = targets[owner]
        result.hits.append(LeakHit(table=table, column=column, source_table=src.table, source_column=src.column,
                                   kind=kind, count=count, in_free_text=free_text))  # type: ignore[arg-type]
        if kind == "coincidence":
            src.stats.coincidences += count
            result.coincidences += count
        elif kind == "unchanged":
            src.stats.unchanged_same_row += count
            result.unchanged += count
            failures.append(Failure(reason=UNCHANGED_VALUE, gate="leaks", table=table, column=column, count=count,
                                    message=f"{count} row(s) of {table}.{column} still hold their own source "
                                            "value after masking"))
        else:
            src.stats.hits_strict += count
            result.leaks += count
            where = f"{table}.{column}" + (" (inside free text)" if free_text else "")
            failures.append(Failure(reason=LEAKED_VALUE, gate="leaks", table=table, column=column, count=count,
                                    message=f"{count} source value(s) of masked column {src.table}.{src.column} "
                                            f"found in {where}"))
    result.columns = [t.stats for t in targets]
    return result, failures
