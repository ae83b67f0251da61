"""Referential integrity and uniqueness of the output, checked on the Parquet files with Arrow.

Foreign keys follow SQL's MATCH SIMPLE rule: a child row with a NULL in any FK column references
nothing and is not an orphan. Unique sets follow SQL too: rows with a NULL in the set are exempt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from anonymiser.mask.core import prf
from anonymiser.verify import hashing
from anonymiser.verify.model import DUPLICATE_UNIQUE, ORPHAN_FK, Failure, ForeignKeyCheck, UniqueCheck
from anonymiser.verify.outputs import iter_batches, parquet_files, read_columns
from anonymiser.write.manifest import Manifest


def _non_null(table: pa.Table, columns: list[str]) -> pa.Table:
    mask = None
    for name in columns:
        valid = pc.is_valid(table.column(name))
        mask = valid if mask is None else pc.and_(mask, valid)
    return table.filter(mask) if mask is not None else table


def _distinct(table: pa.Table, columns: list[str]) -> pa.Table:
    return table.select(columns).group_by(columns, use_threads=False).aggregate([])


def check_foreign_keys(directory: Path, manifest: Manifest) -> tuple[list[ForeignKeyCheck], list[Failure]]:
    checks: list[ForeignKeyCheck] = []
    failures: list[Failure] = []
    schema = manifest.schema_
    for name in manifest.load_order or sorted(manifest.tables):
        info = schema.tables.get(name)
        if info is None:
            continue
        for fk, parent in schema.parents(name):
            if parent not in manifest.tables:
                continue  # the parent table was excluded from the copy: the writer drops this FK
            cols, refs = list(fk.columns), list(fk.ref_columns)
            child = _non_null(read_columns(directory, manifest, name, cols), cols)
            keys = _distinct(read_columns(directory, manifest, parent, refs), refs)
            # Align types (e.g. int32 child, int64 parent) so the join compares values, not types.
            child = pa.table({c: child.column(c).cast(keys.schema.field(r).type) for c, r in zip(cols, refs,
                                                                                                   strict=True)})
            orphans = child.join(keys, keys=cols, right_keys=refs, join_type="left anti",
                                 use_threads=False).num_rows
            checks.append(ForeignKeyCheck(table=name, columns=cols, ref_table=parent, ref_columns=refs,
                                          rows_checked=child.num_rows, orphans=orphans, virtual=fk.virtual))
            if orphans:
                failures.append(Failure(
                    reason=ORPHAN_FK, gate="orphans", table=name, column=",".join(cols), count=orphans,
                    message=f"{orphans} row(s) of {name}({', '.join(cols)}) reference no row of "
                            f"{parent}({', '.join(refs)})"))
    return checks, failures


def unique_sets(manifest: Manifest, table: str) -> list[tuple[str, ...]]:
    """Source-unique column sets (PK, UNIQUE) plus columns the policy marks ``unique: true``."""
    info = manifest.schema_.tables[table]
    sets = list(info.unique_sets())
    entry = manifest.tables.get(table)
    if entry is not None:
        sets += [(col,) for col, m in entry.masking.items() if m.unique and (col,) not in sets]
    present = set(info.column_names)
    return [s for s in sets if s and set(s) <= present]


def _column_types(directory: Path, manifest: Manifest, table: str) -> dict[str, pa.DataType] | None:
    files = [p for p in parquet_files(directory, manifest, table) if p.is_file()]
    return {f.name: f.type for f in pq.read_schema(files[0])} if files else None


def _hashable(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)


def _duplicates_by_hash(directory: Path, manifest: Manifest, table: str, cols: list[str]) -> tuple[int, int]:
    """(rows checked, duplicate rows) of a unique set of text and integer columns, read batch by batch.

    First pass: one 64-bit fingerprint a row (8 bytes: a 10M-row e-mail column takes 80 MB, not its strings
    and a hash table of them). Equal rows always share a fingerprint, so a row whose fingerprint is unique
    is distinct. Only rows sharing one (real duplicates, or a 64-bit collision) are read again and compared
    on their exact fields: integers as they are, text as 128 keyed bits (the masking core's PRF). A collision
    of those (never seen) would count as a duplicate and fail the run: the check fails closed."""
    prints: list[np.ndarray] = []
    for batch in iter_batches(directory, manifest, table, cols):
        fields, valid = _fields(batch, cols)
        prints.append(_fingerprints(fields)[valid])
    found = np.concatenate(prints) if prints else np.zeros(0, np.uint64)
    del prints
    rows = len(found)
    found.sort()
    shared = np.unique(found[1:][found[1:] == found[:-1]])
    del found
    if len(shared) == 0:
        return rows, 0
    exact: list[np.ndarray] = []
    for batch in iter_batches(directory, manifest, table, cols):
        fields, valid = _fields(batch, cols)
        pick = valid & np.isin(_fingerprints(fields), shared)
        exact.append(np.hstack(fields)[pick])
    candidates = np.concatenate(exact)
    return rows, len(candidates) - len(np.unique(candidates, axis=0))


def _fields(batch: pa.RecordBatch, cols: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each column as uint64 words (an integer as itself, text as 128 PRF bits) and which rows have no NULL."""
    valid = np.ones(batch.num_rows, dtype=bool)
    fields = []
    for column in cols:
        values = batch.column(column)
        valid &= np.asarray(pc.is_valid(values), dtype=bool)
        if pa.types.is_integer(values.type):
            fields.append(np.asarray(values.cast(pa.int64()).fill_null(0), dtype=np.int64).view(np.uint64)[:, None])
        else:
            fields.append(prf(_KEY, "verify/unique", values))
    return fields, valid


def _fingerprints(fields: list[np.ndarray]) -> np.ndarray:
    out = np.full(len(fields[0]), hashing.SEED, dtype=np.uint64)
    for words in fields:
        for i in range(words.shape[1]):
            out = hashing.fold(out, np.ascontiguousarray(words[:, i]))
    return out


_KEY = bytes(32)   # not a secret: the hashes never leave memory


def check_unique(directory: Path, manifest: Manifest) -> tuple[list[UniqueCheck], list[Failure]]:
    checks: list[UniqueCheck] = []
    failures: list[Failure] = []
    for name in manifest.load_order or sorted(manifest.tables):
        if name not in manifest.schema_.tables:
            continue
        types = manifest.tables[name].rows and _column_types(directory, manifest, name)
        for cols_t in unique_sets(manifest, name):
            cols = list(cols_t)
            if types and all(_hashable(types[c]) for c in cols):
                checked, duplicates = _duplicates_by_hash(directory, manifest, name, cols)
            else:
                rows = _non_null(read_columns(directory, manifest, name, cols), cols)
                checked, duplicates = rows.num_rows, rows.num_rows - _distinct(rows, cols).num_rows
            checks.append(UniqueCheck(table=name, columns=cols, rows_checked=checked, duplicates=duplicates))
            if duplicates:
                failures.append(Failure(
                    reason=DUPLICATE_UNIQUE, gate="duplicates", table=name, column=",".join(cols),
                    count=duplicates,
                    message=f"{duplicates} duplicate row(s) in {name}({', '.join(cols)}), unique in the source"))
    return checks, failures
