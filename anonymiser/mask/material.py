"""What a keyed fake's ``render`` sees: distinct source values, their normal form and keyed bits."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from anonymiser.mask.core import Normaliser, normalise, prf


class Material:
    """What a render sees for n distinct, non-null source values.

    ``norm`` and ``h`` are computed on first use: format-preserving renders (phone, IRD) often need
    neither, and the PRF over a million values is a large share of a column's cost.
    """

    def __init__(self, raw: pa.Array, key: bytes, domain: str, normaliser: Normaliser, max_len: int | None,
                 unique: bool, attempt: int = 0, norm: pa.Array | None = None, h: np.ndarray | None = None) -> None:
        self.raw = raw                # the source values as strings
        self.key = key
        self.domain = domain
        self.normaliser: Normaliser = normaliser
        self.max_len = max_len        # VARCHAR(n) of the column, if any
        self.unique = unique
        self.attempt = attempt        # > 0 while resolving a uniqueness collision: render from h alone
        self._norm = norm
        self._h = h

    @property
    def norm(self) -> pa.Array:
        """The normalised values (the keyed form)."""
        if self._norm is None:
            self._norm = normalise(self.raw, self.normaliser)
        return self._norm

    @property
    def h(self) -> np.ndarray:
        """(n, 2) uint64 keyed material: PRF(domain, normalised value)."""
        if self._h is None:
            self._h = prf(self.key, self.domain, self.norm)
        return self._h

    def __len__(self) -> int:
        return len(self.raw)

    def take(self, rows: np.ndarray) -> Material:
        # What is not computed yet stays lazy: the PRF of a few rows, not of the whole column.
        idx = pa.array(rows)
        return Material(self.raw.take(idx), self.key, self.domain, self.normaliser, self.max_len, self.unique,
                        self.attempt, None if self._norm is None else self._norm.take(idx),
                        None if self._h is None else self._h[rows])

    def retry(self, h: np.ndarray, attempt: int) -> Material:
        return Material(self.raw, self.key, self.domain, self.normaliser, self.max_len, self.unique, attempt,
                        self.norm, h)
