"""The one driver of the identifier fakes (IRD, NZBN, postcode, card, driver licence, passport and
bank account numbers): keyed numbers in the identifier's own space, written like the source.

1. ``shaped``: which distinct source values have the identifier's shape (a pattern from
   ``anonymiser.identifiers``, matched on the normalised value).
2. ``numbers``: for a shaped source, the variable part of the value itself, permuted with a keyed
   Feistel permutation of its space (``fpe.permute``: injective, so distinct identifiers stay
   distinct and the output space is never exhausted); for any other value, and for a uniqueness
   re-draw (``Material.attempt > 0``), a number drawn from the keyed material.
3. ``write``: the number as the identifier, with its check digit from ``anonymiser.identifiers``,
   in the source's own layout (separators, spacing) where the source had one.

A subclass sets ``shape`` and ``space`` and implements ``write``; an identifier with letters
overrides ``source_part``, one with several spaces (card numbers by length) ``spaces``, one with
extra rules (IRD bands, bank branches) ``numbers``. Identifiers written with digits only may be
stored in integer columns (``accepts``); ``rejects`` refuses an integer column too narrow for them.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.core import Normaliser
from anonymiser.mask.fakes import matches
from anonymiser.mask.fpe import permute
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.schema import ColumnInfo


class IdentifierFake(PseudonymStrategy):
    normaliser: ClassVar[Normaliser] = "identifier"
    format_preserving = True
    shape: ClassVar[str]          # regex (whole value) of a normalised source with the identifier's shape
    space: ClassVar[int] = 1      # size of the permuted part: numbers are 0 … space - 1
    check_digits: ClassVar[int] = 0   # trailing check digits, not part of the permuted number
    max_digits: ClassVar[int | None] = None   # digits of the longest fake, when it is digits only

    def rejects(self, column: ColumnInfo) -> str | None:
        if column.kind == "integer" and column.bits and self.max_digits is not None \
                and 10 ** self.max_digits > 1 << (column.bits - 1):
            return f"{self.name!r} writes up to {self.max_digits} digits, more than a {column.bits}-bit " \
                   f"integer column ({column.sql_type}) holds"
        return super().rejects(column)

    def render(self, m: Material) -> pa.Array:
        shaped = self.shaped(m)
        return self.write(m, self.numbers(m, shaped), shaped)

    def shaped(self, m: Material) -> np.ndarray:
        return matches(m.norm, f"^(?:{self.shape})$")

    def spaces(self, m: Material, shaped: np.ndarray) -> np.ndarray:
        """The size of the permuted part, per value."""
        return np.full(len(m), self.space, dtype=np.int64)

    def fresh(self, m: Material, spaces: np.ndarray) -> np.ndarray:
        """Numbers from the keyed material (values without the shape, and re-draws)."""
        return (m.h[:, 0] % np.maximum(spaces, 1).astype(np.uint64)).astype(np.int64)

    def numbers(self, m: Material, shaped: np.ndarray) -> np.ndarray:
        spaces = self.spaces(m, shaped)
        number = self.fresh(m, spaces)
        if m.attempt == 0 and shaped.any():
            rows = np.flatnonzero(shaped)
            part = self.source_part(m, rows, spaces[rows])
            for size in np.unique(spaces[rows]):
                same = spaces[rows] == size
                number[rows[same]] = permute(m.key, m.domain, part[same], int(size))
        return number

    def source_part(self, m: Material, rows: np.ndarray, spaces: np.ndarray) -> np.ndarray:
        """The permuted part (0 … space - 1) of the shaped values at ``rows``: by default the value's
        digits without its check digits, modulo the space (what lies above is kept by ``write``)."""
        return (digits_of(m.norm, rows) // 10**self.check_digits) % spaces

    @abstractmethod
    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        """The fake identifiers: ``number`` with its check digit, in the source's layout where shaped."""


def digits_of(norm: pa.Array, rows: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """The integer value of characters ``start:stop`` of the (digit) values at ``rows``."""
    text = norm.take(pa.array(rows))
    if start or stop is not None:
        text = pc.utf8_slice_codeunits(text, start, stop if stop is not None else np.iinfo(np.int32).max)
    return np.asarray(pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
