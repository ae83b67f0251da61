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

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.detect.model import ColumnFinding
from anonymiser.verify import hashing
from anonymiser.verify.model import LeakColumn
from anonymiser.write.manifest import ColumnMasking, Manifest

_MIN_STRICT = {"identifier": 6, "composite": 6, "default": 8}
COMPACT_MIN = min(_MIN_STRICT.values())   # compact forms are of strict values: none has fewer letters and digits


def strict_flags(normalised: pa.Array, cls: str) -> np.ndarray:
    """Which values are specific enough that any appearance in the output is a leak."""
    if cls == "dictionary" or len(normalised) == 0:
        return np.zeros(len(normalised), dtype=bool)
    shaped = hashing.has_digit(normalised) | np.asarray(pc.match_substring(normalised, " "), dtype=bool)
    rest = np.flatnonzero(~shaped)     # the regex runs on the values not shaped already
    if len(rest):
        inner = pc.match_substring_regex(normalised.take(pa.array(rest)), r"[\p{L}\p{N}][^\p{L}\p{N} ]+[\p{L}\p{N}]")
        shaped[rest] = np.asarray(inner, dtype=bool)
    at = np.flatnonzero(shaped)        # only those can be strict: their compact length decides
    long_enough = pc.greater_equal(pc.utf8_length(hashing.compact(normalised.take(pa.array(at)))), _MIN_STRICT[cls])
    shaped[at] = np.asarray(long_enough, dtype=bool)
    return shaped


MERGE_MIN = 1_000_000   # hashes added to a set before they are merged into its sorted distinct array


class Distinct:
    """One column's hashes as a sorted array of distinct values (each with a flag: any occurrence flagged),
    merged as chunks come, so memory follows the distinct values, not the rows read."""

    def __init__(self, flagged: bool = False) -> None:
        self.hashes = np.empty(0, np.uint64)
        self.flags: np.ndarray | None = np.empty(0, np.bool_) if flagged else None
        self._parts: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._pending = 0

    def add(self, hashes: np.ndarray, flags: np.ndarray | None = None) -> None:
        if len(hashes) == 0:
            return
        self._parts.append((hashes, flags if self.flags is not None else None))
        self._pending += len(hashes)
        if self._pending >= max(MERGE_MIN, len(self.hashes) // 4):
            self.merge()

    def merge(self) -> Distinct:
        """The chunks added since the last merge, sorted and deduplicated alone, then inserted into the sorted
        array (linear in its size: the array is never sorted again, nor copied more than once)."""
        if not self._parts:
            return self
        parts, self._parts, self._pending = self._parts, [], 0
        h = np.concatenate([p[0] for p in parts])
        f = None if self.flags is None else np.concatenate([p[1] for p in parts])
        del parts
        order = np.argsort(h, kind="stable")
        h = h[order]
        first = np.concatenate(([True], h[1:] != h[:-1]))
        if f is not None:
            f = np.logical_or.reduceat(f[order], np.flatnonzero(first))
        del order
        h = h[first]
        if len(self.hashes) == 0:
            self.hashes, self.flags = h, f
            return self
        pos = np.searchsorted(self.hashes, h)
        present = self.hashes[np.minimum(pos, len(self.hashes) - 1)] == h if len(self.hashes) else \
            np.zeros(len(h), np.bool_)
        fresh = ~present
        slots, keep = _slots(pos[fresh], len(self.hashes))
        if f is not None:
            assert self.flags is not None
            self.flags[pos[present]] |= f[present]
            self.flags = _spliced(self.flags, f[fresh], slots, keep)
        self.hashes = _spliced(self.hashes, h[fresh], slots, keep)
        return self


@dataclass
class Target:
    """One masked source column: its hashed values while its table is read, then only its figures."""

    table: str
    column: str
    cls: str
    stats: LeakColumn
    full: Distinct = field(default_factory=lambda: Distinct(flagged=True))   # flag: strict
    compact: Distinct = field(default_factory=Distinct)   # compact forms of strict values with a digit
    shapes: list[np.ndarray] = field(default_factory=list)  # their ``hashing.compact_shapes``


STRICT, COMPOSITE, LOOSE = 2, 1, 0   # levels: leak anywhere / leak in kept columns / coincidence
SIEVE_SLOTS = 16       # the index's sieves: every output cell and run is looked up there (4.5M queries: 22% -> 9% get
                       # through to the binary search, 157 -> 92 ms)


@dataclass
class Index:
    """Every masked column's hashes in one sorted array; a value held by several columns is kept once, at its
    highest level, owned by the first such column (then the first column for a compact form)."""

    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))          # sorted unique uint64
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))            # index into targets
    level: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))             # STRICT, COMPOSITE, LOOSE
    compact: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))         # sorted unique uint64
    compact_owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    compact_shapes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))   # sorted unique
    _sieves: dict[str, tuple[np.ndarray, hashing.Sieve]] = field(default_factory=dict, repr=False, compare=False)

    def find(self, hashes: np.ndarray) -> np.ndarray:
        """Position in ``self.hashes`` of each hash, or -1."""
        return hashing.lookup(self.hashes, hashes, self._sieve("hashes"))

    def find_compact(self, hashes: np.ndarray) -> np.ndarray:
        """Position in ``self.compact`` of each hash, or -1."""
        return hashing.lookup(self.compact, hashes, self._sieve("compact"))

    def prepare(self) -> None:
        """Build the sieves now (before workers fork: they then share them)."""
        self._sieve("hashes")
        self._sieve("compact")

    def _sieve(self, name: str) -> hashing.Sieve:
        """The array's sieve, built on first use and again whenever the array was replaced (``add``)."""
        array = getattr(self, name)
        held = self._sieves.get(name)
        if held is None or held[0] is not array:
            held = self._sieves[name] = (array, hashing.Sieve(array, SIEVE_SLOTS))
        return held[1]

    def add(self, owner: int, target: Target) -> None:
        """Merge one column's sets in (their memory is released): linear in the index's size."""
        full, comp = target.full.merge(), target.compact.merge()
        target.full, target.compact = Distinct(flagged=True), Distinct()
        high = COMPOSITE if target.cls == "composite" else STRICT
        assert full.flags is not None
        levels = np.where(full.flags, high, LOOSE).astype(np.int8)
        self.hashes, self.owner, level = _merge(self.hashes, self.owner, self.level, full.hashes, owner, levels)
        assert level is not None
        self.level = level
        del full, levels
        self.compact, self.compact_owner, _ = _merge(self.compact, self.compact_owner, None, comp.hashes, owner, None)
        self.compact_shapes = np.unique(np.concatenate([self.compact_shapes, *target.shapes]))
        target.shapes = []


def _merge(hashes: np.ndarray, owners: np.ndarray, levels: np.ndarray | None, new: np.ndarray, owner: int,
           new_levels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Sorted distinct ``new`` (all of ``owner``) merged into the sorted index arrays. A value already there
    changes hands when the newcomer's level is higher, or equal with a smaller owner."""
    pos = np.searchsorted(hashes, new)
    present = hashes[np.minimum(pos, len(hashes) - 1)] == new if len(hashes) else np.zeros(len(new), np.bool_)
    if present.any():
        at = pos[present]
        if levels is None:
            win = owner < owners[at]
        else:
            assert new_levels is not None
            mine = new_levels[present]
            win = (mine > levels[at]) | ((mine == levels[at]) & (owner < owners[at]))
            levels[at[win]] = mine[win]
        owners[at[win]] = owner
    fresh = ~present
    if len(hashes) == 0:   # the first column: its arrays become the index as they are
        return new, np.full(len(new), owner, np.int32), new_levels
    slots, keep = _slots(pos[fresh], len(hashes))
    hashes = _spliced(hashes, new[fresh], slots, keep)
    owners = _spliced(owners, np.full(len(slots), owner, np.int32), slots, keep)
    if levels is not None:
        assert new_levels is not None
        levels = _spliced(levels, new_levels[fresh], slots, keep)
    return hashes, owners, levels


def _slots(where: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where sorted newcomers land in a sorted array of ``size`` (``where``: their ``searchsorted`` positions),
    and a mask of the old entries' places in the result: computed once for every parallel array."""
    slots = where + np.arange(len(where))
    keep = np.ones(size + len(where), dtype=np.bool_)
    keep[slots] = False
    return slots, keep


def _spliced(old: np.ndarray, new: np.ndarray, slots: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = np.empty(len(keep), dtype=old.dtype)
    out[slots] = new
    out[keep] = old
    return out


def aligned_key(manifest: Manifest, table: str, pk: list[str]) -> bool:
    """Rows can be matched source to output only when every primary-key column is kept."""
    entry = manifest.tables[table]
    return bool(pk) and all(c in entry.masking and entry.masking[c].kept for c in pk)


def is_free_text(masking: ColumnMasking | None, finding: ColumnFinding | None) -> bool:
    return (masking is not None and masking.strategy == "free_text") or (finding is not None and finding.free_text)
