"""The source values of each pseudonym domain in a run, so that no fake equals any of them.

A fake must not equal its own input (``PseudonymStrategy._avoid_identity``), nor any *other* real
value of its entity domain: at 40,000 customers, keyed phone fakes otherwise land on another
customer's real number a few dozen times, and verification rightly fails the run. Before masking,
the pipeline reads every column masked by a keyed fake strategy and records a 64-bit hash of each
normalised value per domain (8 bytes a *distinct* value, one sorted array per domain: chunks are
merged into it as they come, so a column of 10M rows with 90,000 distinct phones holds 90,000 hashes,
not 10M); a fake that hits the set is drawn again from fresh keyed material (attempt numbers apart
from the identity and uniqueness re-draws).

Within a run the set is fixed, so the same value still gets the same fake in every table and chunk.
Only a value whose first fake hit the set depends on the run's source values (counted in the
manifest as ``source_redrawn``), as with uniqueness collisions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.core import Normaliser, normalise, prf

MERGE_MIN = 1_000_000    # hashes added to a domain before they are merged into its sorted set (8 MB)
_HASH_KEY = bytes(32)   # not a secret: the hashes stay in memory, only for membership within one run


def _hash(values: pa.Array) -> np.ndarray:
    """A 64-bit hash per value, vectorised over the Arrow buffers (the masking core's AES PRF)."""
    return prf(_HASH_KEY, "source-values", values)[:, 0].view(np.int64)


class SourceValues:
    def __init__(self) -> None:
        self._parts: dict[str, list[np.ndarray]] = {}     # hashes added since the last merge, per domain
        self._pending: dict[str, int] = {}
        self._sorted: dict[str, np.ndarray] = {}          # sorted distinct hashes, per domain

    def add(self, domain: str, normaliser: Normaliser, values: pa.Array) -> None:
        while pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            values = pc.list_flatten(values)      # an array column masked element by element: its elements
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            return                                # blobs are only ever redacted to placeholder bytes
        text = values.cast(pa.string()) if values.type != pa.string() else values
        norm = normalise(pc.unique(text.drop_null()), normaliser)   # a set: each distinct value once
        norm = norm.filter(pc.greater(pc.binary_length(norm), 0).fill_null(False))
        self._parts.setdefault(domain, []).append(_hash(norm))
        self._pending[domain] = self._pending.get(domain, 0) + len(norm)
        if self._pending[domain] >= max(MERGE_MIN, len(self._sorted.get(domain, ())) // 2):
            self._merge(domain)    # bounded by the distinct values, not the rows read

    def _merge(self, domain: str) -> np.ndarray:
        parts = self._parts.pop(domain, [])
        self._pending.pop(domain, None)
        merged = self._sorted.pop(domain, None)
        if merged is not None:
            parts.insert(0, merged)
        table = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        del parts, merged
        table.sort(kind="stable")                 # in place (a radix sort for integers)
        if len(table) > 1:
            table = table[np.concatenate(([True], table[1:] != table[:-1]))]
        self._sorted[domain] = table
        return table

    def freeze(self) -> None:
        """Sort every domain's set now (before forking workers, so each does not sort its own copy)."""
        for domain in list(self._parts):
            self._table(domain)

    def _table(self, domain: str) -> np.ndarray:
        if domain in self._parts or domain not in self._sorted:
            return self._merge(domain)
        return self._sorted[domain]

    def hits(self, domain: str, normalised: pa.Array) -> np.ndarray:
        """Per value: is it (normalised) a source value of ``domain``?"""
        table = self._table(domain)
        if not len(table) or not len(normalised):
            return np.zeros(len(normalised), dtype=bool)
        h = _hash(normalised)
        pos = np.minimum(np.searchsorted(table, h), len(table) - 1)
        present = pc.greater(pc.binary_length(normalised), 0).fill_null(False)   # '' and NULL are never added
        return np.asarray(table[pos] == h) & np.asarray(present.to_numpy(zero_copy_only=False), dtype=bool)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._sorted.values()) + \
            sum(a.nbytes for parts in self._parts.values() for a in parts)
