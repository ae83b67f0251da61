"""The shared driver of keyed fake strategies: factorize → pseudonym per distinct value → take back.

A subclass sets ``entity`` (its default domain) and ``normaliser`` and implements ``render``, which
turns a ``Material`` (distinct source values, their normalised form and 128 keyed bits each) into
one fake per distinct value, vectorised. The driver handles NULL (stays NULL), '' (stays ''),
VARCHAR(n) (``Material.max_len``; renders fit it, the driver truncates as a last resort), the
uniqueness resolver (``unique``), stats, and returning the input's Arrow type.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask import columnar
from anonymiser.mask.base import MaskContext, Strategy, StrategyParams, Technique
from anonymiser.mask.core import Normaliser, normalise, rehash
from anonymiser.mask.material import Material
from anonymiser.mask.source_values import SourceValues
from anonymiser.mask.textbuf import string_bytes
from anonymiser.mask.unique import UniqueResolver

# Attempt numbers for identity re-draws, apart from the uniqueness resolver's (1..MAX_ATTEMPTS).
IDENTITY_ATTEMPT_BASE = 1000
IDENTITY_ATTEMPTS = 8
SOURCE_ATTEMPT_BASE = 2000      # re-draws of fakes that equal another source value of the domain


class FakeParams(StrategyParams):
    domain: str | None = None     # share pseudonyms with another entity (default: the strategy's own)


def fit(out: pa.Array, max_len: int | None) -> pa.Array:
    """Truncate to VARCHAR(n) characters (renders shorten smartly first; this is the backstop)."""
    if max_len is None:
        return out
    parts = string_bytes(out)
    if parts is not None and int(np.diff(parts[1]).max()) <= max_len:
        return out        # no value has more bytes, so none has more characters, than the limit
    return pc.utf8_slice_codeunits(out, 0, max_len)


class PseudonymStrategy(Strategy):
    """Base of the keyed fake strategies (``person_name``, ``email``, ``nz_ird`` …)."""

    entity: ClassVar[str]
    normaliser: ClassVar[Normaliser] = "text"
    params_model: ClassVar[type[StrategyParams]] = FakeParams
    technique: ClassVar[Technique] = "pseudonymisation"

    def __init__(self, params: StrategyParams | None = None) -> None:
        super().__init__(params)
        self._resolver = UniqueResolver()

    def release(self) -> None:
        self._resolver = UniqueResolver()   # 16 bytes a distinct value of a unique column (160 MB at 10M)

    @property
    def domain(self) -> str:
        return getattr(self.params, "domain", None) or self.entity

    @abstractmethod
    def render(self, m: Material) -> pa.Array:
        """One fake (string) per distinct value of ``m``, vectorised."""

    def pseudonyms(self, distinct: pa.Array, ctx: MaskContext) -> pa.Array:
        """Fakes for distinct, non-null string values (the entity API and ``mask`` call this)."""
        m = Material(distinct, ctx.key, self.domain, self.normaliser, ctx.column.length, ctx.unique)

        def rerender(rows: np.ndarray, attempt: int) -> pa.Array:
            sub = m.take(rows)
            sub = sub.retry(rehash(ctx.key, self.domain, sub.h, attempt), attempt)
            return fit(self.render(sub).cast(pa.string()), m.max_len)

        out = self._avoid_identity(m, fit(self.render(m).cast(pa.string()), m.max_len), rerender)
        if ctx.source_values is not None:
            out = self._avoid_source_values(m, out, rerender, ctx.source_values)
            # When the domain is all taken (a source holding most of a dictionary), those re-draws give up and the
            # last one can be the row's own value: its own value is a leak, another's only a coincidence.
            out = self._avoid_identity(m, out, rerender)
        if ctx.unique or self._resolver.active:
            out, resolved = self._resolver.resolve(
                ctx.key, m, out, rerender, within=ctx.unique, fold_case=ctx.case_insensitive,
                where=(ctx.table, ctx.column.name),
            )
            self.stats.collisions_resolved += resolved
        empty = pc.equal(distinct, "")
        return pc.if_else(empty, distinct.cast(pa.string()), out) if pc.any(empty).as_py() else out

    def _avoid_source_values(self, m: Material, out: pa.Array, rerender: Callable[[np.ndarray, int], pa.Array],
                             source: SourceValues) -> pa.Array:
        """A fake never equals another real value of its domain (a neighbour's phone number, another
        customer's name): such fakes are drawn again from fresh keyed material."""
        for attempt in range(SOURCE_ATTEMPT_BASE, SOURCE_ATTEMPT_BASE + IDENTITY_ATTEMPTS):
            hit = source.hits(self.domain, normalise(out, self.normaliser))
            hit &= ~pc.equal(m.raw, "").fill_null(False).to_numpy(zero_copy_only=False)
            if not hit.any():
                return out
            rows = np.flatnonzero(hit)
            out = pc.replace_with_mask(out, pa.array(hit), rerender(rows, attempt))
            self.stats.count("source_redrawn", len(rows))
        return out

    def _avoid_identity(self, m: Material, out: pa.Array,
                        rerender: Callable[[np.ndarray, int], pa.Array]) -> pa.Array:
        """A fake never equals its own input (a small dictionary can draw the real name back).

        Only the value itself decides the re-draw, so the fix is the same in every table and run.
        """
        for attempt in range(IDENTITY_ATTEMPT_BASE, IDENTITY_ATTEMPT_BASE + IDENTITY_ATTEMPTS):
            same = pc.and_(pc.equal(normalise(out, self.normaliser), m.norm), pc.not_equal(m.raw, ""))
            if not pc.any(same).as_py():
                return out
            rows = np.flatnonzero(same.fill_null(False).to_numpy(zero_copy_only=False))
            out = pc.replace_with_mask(out, same.fill_null(False), rerender(rows, attempt))
            self.stats.count("identity_redrawn", len(rows))
        return out

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        encoded = pc.dictionary_encode(columnar.as_text(values))
        fakes = self.pseudonyms(encoded.dictionary, ctx)
        result = pc.take(fakes, encoded.indices)
        self.stats.cells += len(values)
        self.stats.distinct += len(encoded.dictionary)
        self.stats.nulls += values.null_count
        return columnar.cast_like(result, values.type)     # a numeric identifier stays numeric
