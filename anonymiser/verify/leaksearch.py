"""Searching the output for the hashed source values (cells, and token runs inside free text)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.detect.model import ColumnFinding
from anonymiser.lazy import lazy_import
from anonymiser.progress import Progress
from anonymiser.schema import SchemaInfo, TableInfo
from anonymiser.source.bulk import SourceReader
from anonymiser.source.read import DEFAULT_CHUNK_ROWS
from anonymiser.verify import hashing
from anonymiser.verify.leakindex import COMPACT_MIN, COMPOSITE, STRICT, Index, Target, aligned_key, is_free_text
from anonymiser.verify.model import LEAKED_VALUE, UNCHANGED_VALUE, Failure, LeakHit, LeakScan
from anonymiser.verify.outputs import iter_batches
from anonymiser.write.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)


# (output table, output column, owner target, kind, inside free text) -> count
Hits = Counter[tuple[str, str, int, str, bool]]
PROSE_MEAN_TOKENS = 4.0      # a string column whose cells average this many words is searched as text


def read_source(conn: sa.Connection, table: TableInfo,
                chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    """The source table's rows as the run reads them: in bulk where the source allows (PostgreSQL: ADBC)."""
    with SourceReader(conn) as source:
        yield from source.read_table(table, chunk_rows=chunk_rows)


def _tally(hits: Hits, table: str, column: str, owner: np.ndarray, mask: np.ndarray, kind: str,
           free_text: bool) -> None:
    owners, counts = np.unique(owner[mask], return_counts=True)
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


@dataclass
class Search:
    directory: Path
    manifest: Manifest
    conn: sa.Connection
    source_schema: SchemaInfo
    index: Index
    hasher: hashing.Hasher
    result: LeakScan
    hits: Hits
    found: dict[tuple[str, str], ColumnFinding]
    pending: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def run(self, progress: Progress | None) -> None:
        if len(self.index.hashes) == 0:
            return
        for table, entry in self.manifest.tables.items():
            info = self.manifest.schema_.tables.get(table)
            pk = list(info.primary_key) if info is not None else []
            aligned = aligned_key(self.manifest, table, pk) and table in self.source_schema.tables
            self.pending = {}
            done = 0
            for batch in iter_batches(self.directory, self.manifest, table):
                done += batch.num_rows
                for column in batch.schema.names:
                    masking = entry.masking.get(column)
                    kept = masking is None or masking.kept
                    prepared = hashing.prepared(batch.column(column))
                    if prepared is None or len(prepared[0]) == 0:
                        continue
                    text, rows = prepared
                    self._cells(text, table, column, kept)
                    # Token runs of multi-word cells: a value can hide inside a longer string.
                    spaced = np.asarray(pc.match_substring(text, " "), dtype=bool)
                    if not spaced.any():
                        continue
                    prose = is_free_text(masking, self.found.get((table, column))) or \
                        (masking is not None and masking.strategy == "json") or \
                        (info is not None and info.column(column).kind == "text") or reads_as_prose(text)
                    mode = "kept" if kept else "masked_text" if prose else "masked_field"
                    keys = batch.select(pk).take(pa.array(rows[spaced])) if aligned and mode == "masked_text" else None
                    self._grams(text.filter(pa.array(spaced)), keys, table, column, mode)
                if progress:
                    progress(f"leak scan: searching {table}", done, entry.rows)
            for column, frames in self.pending.items():
                self._confirm(table, column, pk, pd.concat(frames, ignore_index=True))

    def _cells(self, text: pa.Array, table: str, column: str, kept: bool) -> None:
        self.result.output_cells_scanned += len(text)
        digit = np.flatnonzero(hashing.has_digit(text) & (hashing.alnum_bound(text) >= COMPACT_MIN)) \
            if len(self.index.compact) else np.empty(0, np.int64)
        level, owner = _levels(self.index, hashing.value_hashes(self.hasher, text), digit,
                               lambda at: self.hasher.hash(hashing.compact(text.take(pa.array(at)))))
        leak = (level == STRICT) | ((level == COMPOSITE) & kept)
        _tally(self.hits, table, column, owner, leak, "leak", False)
        _tally(self.hits, table, column, owner, (level >= 0) & ~leak, "coincidence", False)

    def _grams(self, text: pa.Array, keys: pa.RecordBatch | None, table: str, column: str, mode: str) -> None:
        """Runs of tokens. Composite values: leaks in kept text; in masked free text, leaks unless the
        row can be checked against its source (then pending); in masked fields, coincidences."""
        runs = hashing.token_runs(self.hasher, text)
        self.result.free_text_ngrams_scanned += len(runs)
        hashes, cells = runs.hashes, runs.cells
        digit = runs.with_digit(COMPACT_MIN) if len(self.index.compact) else np.empty(0, np.int64)
        level, owner = _levels(self.index, hashes, digit, lambda at: runs.compact_hashes(self.hasher, at))
        composite = level == COMPOSITE
        pend = composite & (keys is not None)
        leak = (level == STRICT) | (composite & (mode == "kept" or (mode == "masked_text" and keys is None)))
        _tally(self.hits, table, column, owner, leak, "leak", True)
        _tally(self.hits, table, column, owner, (level >= 0) & ~leak & ~pend, "coincidence", True)
        if keys is not None and pend.any():
            frame = keys.take(pa.array(cells[pend])).to_pandas()
            frame["__gram"], frame["__owner"] = hashes[pend], owner[pend]
            self.pending.setdefault(column, []).append(frame)

    def _confirm(self, table: str, column: str, pk: list[str], pending: pd.DataFrame) -> None:
        """Composite values in masked free text: a leak only if the same row's source text held them."""

        info = self.source_schema.tables[table]
        confirmed = np.zeros(len(pending), dtype=bool)
        if column in info.column_names:
            wanted = pending[pk].drop_duplicates()
            reader = info.model_copy(update={"columns": tuple(c for c in info.columns
                                                              if c.name in pk or c.name == column)})
            for batch in read_source(self.conn, reader):
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
