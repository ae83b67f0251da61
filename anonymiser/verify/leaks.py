"""Leak scan: is any source value of a masked column still in the output?

Method
------
1. For every masked column (strategy other than ``keep``; free-text columns excepted, see 4), the
   source is streamed in chunks and each distinct normalised value is reduced to a keyed 64-bit
   hash (``hashing.py``). Only the hash sets are held (bounded memory, no values).
2. Each hashed value gets a class, from the column's ``leak_class`` in the manifest (declared by its
   strategy, else by the detected entity's default strategy) and the value's shape (``leakindex.py``):
   - *identifier* values (e-mails, phones, IRD/NHI/bank/card numbers, IPs, URLs, user names) and
     other long values with a digit, an "@", inner punctuation or several words are **strict**:
     found anywhere in the output — any table, any column, or as a run of tokens inside free
     text — they are a **leak**. Such values are too specific to re-appear by chance.
   - *composite* values (full names, street addresses) are strict in kept columns; a masked
     column or masked free text can spell one by chance from its dictionaries ("Olivia Smith"),
     so there only a same-row match is a leak (4).
   - *dictionary* values (a single given name or surname, a city, a postcode, a date, a small
     number, a remapped key) re-appear by chance: a fake first name "Liam" can be a real customer's
     first name. Found elsewhere they are **coincidences**: counted and reported, never a failure.
3. Same-row check, for every masked column whose table keeps its primary key: the output row with
   the same key must not hold that row's own source value. An unchanged value there is a leak
   whatever its class (a date of birth shifted by zero days is still the real one).
4. Free-text columns are not hashed whole (a note with nothing personal in it is rightly left as
   it was); instead every output free-text cell is split into tokens and each run of 1-5 tokens
   is looked up in the hash sets of all masked columns. A composite value found in masked free
   text is a leak when the same row's source text holds it too (the span was not replaced),
   a coincidence otherwise; without a kept primary key it counts as a leak.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser import forked
from anonymiser.detect.model import ColumnFinding
from anonymiser.jsonpath import JsonPath, leaf_texts
from anonymiser.lazy import lazy_import
from anonymiser.mask import registry
from anonymiser.mask.strategies.json import Json
from anonymiser.progress import Progress
from anonymiser.schema import SchemaInfo, TableInfo
from anonymiser.source.bulk import SourceReader
from anonymiser.source.connect import readable_elsewhere, reconnect
from anonymiser.verify import hashing, leaksearch
from anonymiser.verify.leakindex import Index, Target, aligned_key, is_free_text, strict_flags
from anonymiser.verify.model import Failure, LeakColumn, LeakScan
from anonymiser.verify.outputs import iter_batches
from anonymiser.write.manifest import ColumnMasking, Manifest

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa
else:
    pd = lazy_import("pandas")     # heavy: loaded on first use (see anonymiser/lazy.py)


CHUNK_ROWS = 50_000
SAME_ROW_CELLS = 16_000_000   # (key, value) hashes held at once by the same-row check (128 MB)

# The method in plain words, for the report's leak-scan section (the module docstring has the detail).
METHOD = [
    "Every value of every masked column is read from the source in chunks, normalised (lower case, trimmed, "
    "white space collapsed; identifiers also without separators) and reduced to a keyed 64-bit hash with a "
    "random key made for this scan and then discarded. Only hashes are held, never values.",
    "Identifier values (e-mail addresses, phone, IRD, NHI, bank and card numbers, IP addresses, URLs, user "
    "names, and other long values containing digits or several words) are strict: found anywhere in the "
    "output - any table, any column, or as a run of up to five words inside text - they count as a leak.",
    "Full names and street addresses are strict in columns kept unmasked. Because masking draws fakes from "
    "name and street dictionaries, a fake can spell a real person's name by chance; in masked columns and "
    "masked free text such a match is a leak only when the same row held that value in the source.",
    "Dictionary values (a single given name or surname, a city, a postcode, a date, a small number, a remapped "
    "key) re-appear by chance and are counted as coincidences, not leaks, unless a masked column still holds "
    "its own source value in the same row (compared by primary key when the key is kept): that is a leak.",
    "Free-text columns are not hashed whole; each output text cell is split into words and every run of one "
    "to five words is looked up. Columns kept unmasked are listed as excluded; they are still searched.",
    "Re-detection: the pattern recognizers used by the scan (e-mail, phone, NZ identifiers, cards, IP, IBAN) "
    "are run again on a sample of every column kept unmasked in the output.",
]


@dataclass
class _Table:
    """One source table's masked columns, and where their targets start in the scan's list."""

    info: TableInfo
    masked: dict[str, Target]
    documents: dict[str, list[JsonPath]]
    offset: int


@dataclass
class SameRows:
    """What the same-row checks found: unchanged cells as leak hits, and the targets they could check."""

    hits: leaksearch.Hits = field(default_factory=Counter)
    checked: set[int] = field(default_factory=set)    # positions of the targets checked


def scan(directory: Path, manifest: Manifest, conn: sa.Connection, source_schema: SchemaInfo,
         progress: Progress | None = None, jobs: int = 1) -> tuple[LeakScan, list[Failure]]:
    """``jobs``: processes searching the output (the findings do not depend on it); with 2 or more, the same-row
    checks run in a forked process of their own while this one hashes the source and searches the output."""
    hasher = hashing.Hasher.ephemeral()
    found = manifest.detection.by_column()
    result = LeakScan(ran=True)
    tables = _masked_tables(manifest, source_schema, found, result)
    targets = [target for table in tables for target in table.masked.values()]
    index = Index()
    same = SameRows()
    hits: leaksearch.Hits = Counter()
    # One reader (one bulk connection) for every source read here: opening one per table costs ~50 ms each.
    with SourceReader(conn) as source, \
            _same_rows_beside(directory, manifest, conn, tables, hasher, jobs) as same_rows:
        for table in tables:
            if same_rows is None:   # here, one table at a time: its sets are released before it is hashed
                _same_row_check(directory, manifest, source, table, hasher, same, progress)
            _hash_source_table(manifest, source, table.info, table.masked, hasher, result, progress, table.documents)
            for position, target in enumerate(table.masked.values()):
                index.add(table.offset + position, target)    # one table's sets at a time, then released
        owned = np.bincount(index.owner, minlength=len(targets))
        strict = np.bincount(index.owner[index.level > 0], minlength=len(targets))
        for i, target in enumerate(targets):
            target.stats.distinct_values, target.stats.strict_values = int(owned[i]), int(strict[i])
        result.values_checked = len(index.hashes)
        search = leaksearch.Search(directory, manifest, source, source_schema, index, hasher, result, hits, found)
        search.run(progress, jobs)    # the same-row checks may still run: a big table's take several reads
        if same_rows is not None:
            same = same_rows()
    for position in same.checked:
        targets[position].stats.same_row_checked = True
    hits.update(same.hits)    # summarise sorts the hits: the order they come in is no matter
    return leaksearch.summarise(result, targets, hits)


def _masked_tables(manifest: Manifest, source_schema: SchemaInfo, found: dict[tuple[str, str], ColumnFinding],
                   result: LeakScan) -> list[_Table]:
    """Each table's masked columns the source still has, as targets numbered in the manifest's order; kept and
    free-text columns are listed in ``result``."""
    tables: list[_Table] = []
    offset = 0
    for table, entry in manifest.tables.items():
        masked: dict[str, Target] = {}
        documents: dict[str, list[JsonPath]] = {}
        for column, masking in entry.masking.items():
            if masking.kept:
                result.excluded.append(f"{table}.{column}")
            elif is_free_text(masking, found.get((table, column))):
                result.free_text_columns.append(f"{table}.{column}")
            elif table in source_schema.tables and column in source_schema.tables[table].column_names:
                cls = masking.leak_class
                masked[column] = Target(table, column, cls, LeakColumn(
                    table=table, column=column, value_class=cls, distinct_values=0, strict_values=0))
                if masking.strategy == "json":
                    documents[column] = masked_json_paths(masking)
        if masked:
            tables.append(_Table(source_schema.tables[table], masked, documents, offset))
            offset += len(masked)
    return tables


@contextmanager
def _same_rows_beside(directory: Path, manifest: Manifest, conn: sa.Connection, tables: list[_Table],
                      hasher: hashing.Hasher, jobs: int) -> Iterator[Callable[[], SameRows] | None]:
    """The same-row checks of every table, run by a forked process on its own connection while the block
    hashes the source and searches the output (their reads and CPU overlap); None (the caller checks each table
    itself) with one job, without fork, or when no other connection reads the same source (in-memory SQLite)."""
    if jobs < 2 or not forked.can_fork() or not readable_elsewhere(conn) or \
            not any(aligned_key(manifest, t.info.name, list(t.info.primary_key)) for t in tables):
        yield None
        return

    def check_all() -> SameRows:
        same = SameRows()
        with reconnect(conn) as own, SourceReader(own) as source:
            for table in tables:
                _same_row_check(directory, manifest, source, table, hasher, same, None)
        return same

    with forked.beside(check_all) as same_rows:
        yield same_rows


def _hash_source_table(manifest: Manifest, source: SourceReader, info: TableInfo, masked: dict[str, Target],
                       hasher: hashing.Hasher, result: LeakScan, progress: Progress | None,
                       documents: dict[str, list[JsonPath]]) -> None:
    pk = set(info.primary_key)   # the source is read in key order
    reader = info.model_copy(update={"columns": tuple(c for c in info.columns if c.name in masked or c.name in pk)})
    done = 0
    for batch in source.read_table(reader, chunk_rows=CHUNK_ROWS):
        done += batch.num_rows
        for column, target in masked.items():
            values = batch.column(column)
            if column in documents:   # JSON masked at paths: the values there are the source values
                values = pa.array(leaf_texts(values.to_pylist(), documents[column]), pa.string())
            prepared = hashing.prepared(values)
            if prepared is None:
                continue
            text = prepared[0]
            strict = strict_flags(text, target.cls)
            target.full.add(hashing.value_hashes(hasher, text), strict)
            if target.cls != "composite":
                digits = strict & hashing.has_digit(text)
                if digits.any():
                    compacted = hashing.compact(text.filter(pa.array(digits)))
                    target.compact.add(hasher.hash(compacted))
                    target.shapes.append(hashing.compact_shapes(compacted))
        if progress:
            progress(f"leak scan: hashing {info.name}", done, manifest.tables[info.name].source_rows)
    result.source_rows_read += done


def _same_row_check(directory: Path, manifest: Manifest, source: SourceReader, table: _Table,
                    hasher: hashing.Hasher, same: SameRows, progress: Progress | None) -> None:
    """Does an output row still hold its own source value (matched by the kept primary key)? For a group of
    columns at a time (``SAME_ROW_CELLS`` hashes at most), the output's (key, value) pairs are hashed into
    sorted arrays, then the source's pairs are looked up in them: 8 bytes a cell, never a whole table."""
    info, masked = table.info, table.masked
    pk = list(info.primary_key)
    if not aligned_key(manifest, info.name, pk):
        return
    entry = manifest.tables[info.name]
    columns = [c for c in masked if not exempt_from_same_row(entry.masking[c])]
    position = {column: table.offset + i for i, column in enumerate(masked)}
    per_group = max(1, SAME_ROW_CELLS // max(entry.rows, 1))
    passes = -(-len(columns) // per_group)    # the source is read once per group: progress counts every pass
    total = None if entry.source_rows is None else entry.source_rows * passes
    done = 0
    for start in range(0, len(columns), per_group):
        group = columns[start:start + per_group]
        sets = {column: np.empty(entry.rows, np.uint64) for column in group}   # filled in place, no copies
        key_types, filled = None, 0
        for batch in iter_batches(directory, manifest, info.name, pk + group):
            key_types = batch.select(pk).schema
            keys = _key_hashes(batch.select(pk), hasher)
            for column in group:
                pairs = _pair(keys, aligned_hashes(batch.column(column), hasher))
                if filled + len(pairs) > len(sets[column]):   # more rows than the manifest says: grow
                    sets[column] = np.concatenate([sets[column][:filled], pairs, sets[column][filled:]])
                sets[column][filled:filled + len(pairs)] = pairs
            filled += batch.num_rows
        sieves = {}
        for column in group:
            sets[column] = sets[column][:filled]
            sets[column].sort()
            sieves[column] = hashing.Sieve(sets[column])
        reader = info.model_copy(update={"columns": tuple(c for c in info.columns if c.name in pk or c.name in group)})
        for batch in source.read_table(reader, chunk_rows=CHUNK_ROWS):
            done += batch.num_rows
            keys = _key_hashes(_as_types(batch.select(pk), key_types), hasher)
            for column in group:
                if not _holds_text(batch.column(column).type):
                    continue
                same.checked.add(position[column])
                src = aligned_hashes(batch.column(column), hasher)
                held = src != 0
                found = hashing.lookup(sets[column], _pair(keys[held], src[held]), sieves[column])
                unchanged = int(np.count_nonzero(found >= 0))
                if unchanged:
                    same.hits[(info.name, column, position[column], "unchanged", False)] += unchanged
            if progress:
                progress(f"leak scan: same-row check of {info.name}", done, total)


def _holds_text(kind: pa.DataType) -> bool:
    """Whether values of this type hold text (what ``hashing.prepared`` reads); booleans and bytes do not."""
    while pa.types.is_list(kind) or pa.types.is_large_list(kind):
        kind = kind.value_type
    return hashing.as_text(pa.array([], type=kind)) is not None


def _as_types(keys: pa.RecordBatch, schema: pa.Schema | None) -> pa.RecordBatch:
    """The source's key columns in the output's types (the same kept values), so both hash alike."""
    if schema is None or keys.schema.equals(schema):
        return keys
    try:
        return pa.RecordBatch.from_arrays([keys.column(i).cast(schema.field(i).type)
                                           for i in range(keys.num_columns)], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return keys


def _key_hashes(keys: pa.RecordBatch, hasher: hashing.Hasher) -> np.ndarray:
    frame = keys.to_pandas()
    return pd.util.hash_pandas_object(frame, index=False, hash_key=hasher.key, categorize=False).to_numpy()


def _pair(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """One hash per (row key, value hash): for one key, distinct values always give distinct pairs."""
    return hashing.mix(keys ^ hashing.mix(values))


def exempt_from_same_row(masking: ColumnMasking) -> bool:
    """Columns where an unchanged cell is no leak: ``member`` draws from the declared members, so a row may
    draw its own value by chance; ``json`` leaves documents with nothing at its paths as they were (their
    masked values are checked one by one instead)."""
    return masking.strategy in ("member", "json")


def masked_json_paths(masking: ColumnMasking) -> list[JsonPath]:
    """The paths a ``json`` rule masks (not the ones it keeps), from the rule's options in the manifest."""
    strategy = registry.build(masking.strategy, masking.options)
    assert isinstance(strategy, Json)
    return strategy.masked_paths()


def aligned_hashes(values: pa.ChunkedArray | pa.Array, hasher: hashing.Hasher) -> np.ndarray:
    """A hash per row (0 for NULL or empty), so rows stay aligned with their key."""
    text = hashing.as_text(values)
    if text is None:
        return np.zeros(len(values), dtype=np.uint64)
    norm = hashing.normalise(text)
    valid = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(norm), 0), False), dtype=bool)
    out = hasher.hash(pc.fill_null(norm, ""))
    out[~valid] = 0
    return out
