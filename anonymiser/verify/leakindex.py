"""The searchable index of a leak scan: hashed source values, each with its owner column and class.

Classes (``ColumnMasking.leak_class``: the masking strategy's declared class, else the class of the
detected entity's default strategy, see ``registry.leak_class``), then the value's shape:
- ``identifier``: e-mails, phones, IRD/NHI/bank/card numbers, IPs, URLs, user names, licences;
  too specific to re-appear by chance, so *strict*: any appearance anywhere is a leak.
- ``composite``: full person names and street addresses. Built from dictionary parts, so a fake
  can spell a real one ("Olivia Smith"). Strict in kept columns; in a masked column only a
  same-row match is a leak; inside free text, a leak when the same row's source text held it too.
- ``dictionary``: a single given name, surname, city, postcode, date, small number, remapped key:
  coincidences are expected; reported, and a leak only when unchanged in the same row.
- ``default``: anything else; strict when long (8+ letters/digits) and shaped like an identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.detect.model import ColumnFinding
from anonymiser.verify import hashing
from anonymiser.verify.model import LeakColumn
from anonymiser.write.manifest import ColumnMasking, Manifest

_MIN_STRICT = {"identifier": 6, "composite": 6, "default": 8}


def strict_flags(normalised: pa.Array, cls: str) -> np.ndarray:
    """Which values are specific enough that any appearance in the output is a leak."""
    if cls == "dictionary" or len(normalised) == 0:
        return np.zeros(len(normalised), dtype=bool)
    long_enough = pc.greater_equal(pc.utf8_length(hashing.compact(normalised)), _MIN_STRICT[cls])
    shaped = pc.or_(pc.or_(hashing.has_digit(normalised), pc.match_substring(normalised, " ")),
                    pc.match_substring_regex(normalised, r"[\p{L}\p{N}][^\p{L}\p{N} ]+[\p{L}\p{N}]"))
    return np.asarray(pc.and_(long_enough, shaped), dtype=bool)


@dataclass
class Target:
    """One masked source column and its hash set under construction."""

    table: str
    column: str
    cls: str
    full: list[np.ndarray]
    strict: list[np.ndarray]
    compact: list[np.ndarray]
    stats: LeakColumn


STRICT, COMPOSITE, LOOSE = 2, 1, 0   # levels: leak anywhere / leak in kept columns / coincidence


@dataclass
class Index:
    hashes: np.ndarray          # sorted unique uint64
    owner: np.ndarray           # index into targets
    level: np.ndarray           # int8: STRICT, COMPOSITE or LOOSE
    compact: np.ndarray         # sorted unique uint64 of compact forms of strict values with a digit
    compact_owner: np.ndarray


def aligned_key(manifest: Manifest, table: str, pk: list[str]) -> bool:
    """Rows can be matched source to output only when every primary-key column is kept."""
    entry = manifest.tables[table]
    return bool(pk) and all(c in entry.masking and entry.masking[c].kept for c in pk)


def is_free_text(masking: ColumnMasking | None, finding: ColumnFinding | None) -> bool:
    return (masking is not None and masking.strategy == "free_text") or (finding is not None and finding.free_text)


def build_index(targets: list[Target]) -> Index:
    hashes, owners, levels, compact, compact_owner = [], [], [], [], []
    for i, target in enumerate(targets):
        full = np.unique(np.concatenate(target.full)) if target.full else np.empty(0, np.uint64)
        strict = np.unique(np.concatenate(target.strict)) if target.strict else np.empty(0, np.uint64)
        comp = np.unique(np.concatenate(target.compact)) if target.compact else np.empty(0, np.uint64)
        target.full, target.strict, target.compact = [], [], []  # free the chunks
        hashes.append(full)
        owners.append(np.full(len(full), i, dtype=np.int32))
        high = COMPOSITE if target.cls == "composite" else STRICT
        levels.append(np.where(np.isin(full, strict, assume_unique=True), high, LOOSE).astype(np.int8))
        compact.append(comp)
        compact_owner.append(np.full(len(comp), i, dtype=np.int32))
    if not targets:
        empty = np.empty(0, np.uint64)
        return Index(empty, np.empty(0, np.int32), np.empty(0, np.int8), empty, np.empty(0, np.int32))
    h, o, lv = np.concatenate(hashes), np.concatenate(owners), np.concatenate(levels)
    # The same value may come from several columns: keep one entry, at its highest level.
    order = np.lexsort((-lv, h))
    h, o, lv = h[order], o[order], lv[order]
    first = np.concatenate(([True], h[1:] != h[:-1])) if len(h) else np.empty(0, bool)
    c, co = np.concatenate(compact), np.concatenate(compact_owner)
    c_order = np.argsort(c, kind="stable")
    c, co = c[c_order], co[c_order]
    c_first = np.concatenate(([True], c[1:] != c[:-1])) if len(c) else np.empty(0, bool)
    return Index(h[first], o[first], lv[first], c[c_first], co[c_first])
