"""Keeping a unique column unique, deterministically.

Fakes for unique columns are built to be injective in practice: identifier strategies permute the
identifier's own space (a keyed Feistel permutation, ``fpe``), and text fakes embed enough keyed bits
(a tag from the 128-bit PRF) to make two distinct inputs meeting on one output improbable. Residual
collisions are still possible (a short VARCHAR(n), a small output space such as the NHI test range,
or two source spellings that normalise alike), so every output of a unique column passes through
``UniqueResolver``:

1. Within one call, outputs are grouped; in a group fed by several distinct inputs, the input with
   the smallest (PRF material, input fingerprint) keeps the output. The order of rows and chunks
   does not matter, only which inputs are present.
2. Against earlier calls on the same Strategy instance (later chunks, and FK columns that reference
   the key, which the pipeline masks with the same instance after the parent), an output already
   owned by a *different* input is a collision; the same input gets its earlier output again.
3. Each loser is re-rendered from fresh keyed material (``core.rehash`` with the attempt number),
   and the loop repeats until nothing collides. ``stats.collisions_resolved`` counts the losers.

So the output is always unique and deterministic for the same input set and chunk order. Only
when a collision actually occurs can a value's pseudonym depend on which other values are present;
``collisions_resolved`` in the manifest says whether that happened (it is 0 in practice for
name/email/ID columns of any realistic size).

Fingerprints are 64-bit keyed PRF outputs; state is two sorted uint64 arrays (16 bytes per value).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import MaskError
from anonymiser.mask.core import U64, prf
from anonymiser.mask.material import Material

MAX_ATTEMPTS = 64


def input_fingerprints(key: bytes, m: Material, fold_case: bool = False) -> np.ndarray:
    """64-bit identity of each distinct source value: the PRF material where the value is already in
    normal form (no second PRF), else a PRF of the exact value (so "A@x.nz" and "a@x.nz" differ).

    With ``fold_case`` (the source compares the column ignoring case and trailing blanks, a ``_ci``
    collation), case variants are one value: "A@x.nz" in a key and "a@x.nz" in a foreign key that
    references it are the same row, so they must get the same output (else the copy has orphans)."""
    identity = pc.utf8_lower(pc.utf8_rtrim_whitespace(m.raw)) if fold_case else m.raw
    fp = m.h[:, 1].copy()
    differs = pc.invert(pc.equal(identity, m.norm))
    if pc.any(differs).as_py():
        rows = np.flatnonzero(differs.to_numpy(zero_copy_only=False))
        fp[rows] = prf(key, "unique/in", identity.take(pa.array(rows)))[:, 0]
    return fp


class UniqueResolver:
    def __init__(self) -> None:
        self._out = np.zeros(0, dtype=U64)   # sorted output fingerprints of earlier calls
        self._in = np.zeros(0, dtype=U64)    # the input fingerprint owning each
        self._distinct = True                # no output fingerprint twice in the state (as resolve keeps it)

    @property
    def active(self) -> bool:
        return len(self._out) > 0

    def _conflicts(self, out_fp: np.ndarray, in_fp: np.ndarray, rank: np.ndarray, within: bool) -> np.ndarray:
        conflict = np.zeros(len(out_fp), dtype=bool)
        owner = np.zeros(len(out_fp), dtype=bool)     # this input already owns this output
        if len(self._out):
            pos = np.minimum(np.searchsorted(self._out, out_fp), len(self._out) - 1)
            match = self._out[pos] == out_fp
            owner = match & (self._in[pos] == in_fp)
            conflict |= match & ~owner
        if within and len(out_fp) > 1:
            sorted_fp = np.sort(out_fp)
            repeated = sorted_fp[1:][sorted_fp[1:] == sorted_fp[:-1]]
            if len(repeated) == 0:
                return conflict
            # Only rows sharing an output: an earlier owner wins it, else the smallest material.
            rows = np.flatnonzero(np.isin(out_fp, repeated))
            order = rows[np.lexsort((in_fp[rows], rank[rows], ~owner[rows], out_fp[rows]))]
            sorted_out, sorted_in = out_fp[order], in_fp[order]
            starts = np.ones(len(order), dtype=bool)
            starts[1:] = sorted_out[1:] != sorted_out[:-1]
            winner_in = sorted_in[np.flatnonzero(starts)][np.cumsum(starts) - 1]
            loser = sorted_in != winner_in        # spellings of the winner's value (case variants) share it
            conflict[order[loser]] = True
        return conflict

    def resolve(
        self,
        key: bytes,
        m: Material,
        out: pa.Array,
        rerender: Callable[[np.ndarray, int], pa.Array],
        *,
        within: bool,
        where: tuple[str, str],
        fold_case: bool = False,
    ) -> tuple[pa.Array, int]:
        """Return (unique outputs, number of inputs re-rendered). ``rerender(rows, attempt)`` fakes again."""
        in_fp = input_fingerprints(key, m, fold_case)
        rank = m.h[:, 0]
        resolved = np.zeros(len(out), dtype=bool)
        out_fp = prf(key, "unique/out", out)[:, 0].copy()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            conflict = self._conflicts(out_fp, in_fp, rank, within)
            if not conflict.any():
                break
            rows = np.flatnonzero(conflict)
            resolved[rows] = True
            replacement = rerender(rows, attempt).cast(out.type)
            out = pc.replace_with_mask(out, pa.array(conflict), replacement)
            out_fp[rows] = prf(key, "unique/out", replacement)[:, 0]     # only the new outputs
        else:
            raise MaskError(
                f"cannot keep the column unique after {MAX_ATTEMPTS} attempts: the fake's output space is too "
                "small for the number of distinct values",
                table=where[0], column=where[1],
                hint="Use 'remap' (a keyed permutation of the value itself) or a wider column for this key.",
            )
        if within:
            self._remember(out_fp, in_fp)
        return out, int(resolved.sum())

    def _remember(self, out_fp: np.ndarray, in_fp: np.ndarray) -> None:
        # After ``resolve`` the outputs of one call are distinct, and one already in the state has
        # the same owner: then sorting the new pairs and inserting the unseen ones into the sorted
        # state is the whole merge (no re-sort of the state for every chunk).
        order = np.argsort(out_fp)
        outs, ins = out_fp[order], in_fp[order]
        pos = np.searchsorted(self._out, outs)
        seen = np.zeros(len(outs), dtype=bool)
        inside = np.flatnonzero(pos < len(self._out))
        seen[inside] = self._out[pos[inside]] == outs[inside]
        if not self._distinct or np.any(outs[1:] == outs[:-1]) or np.any(self._in[pos[seen]] != ins[seen]):
            self._merge_general(out_fp, in_fp)
            return
        new = ~seen
        self._out = np.insert(self._out, pos[new], outs[new])
        self._in = np.insert(self._in, pos[new], ins[new])

    def _merge_general(self, out_fp: np.ndarray, in_fp: np.ndarray) -> None:
        outs = np.concatenate([self._out, out_fp])
        ins = np.concatenate([self._in, in_fp])
        order = np.argsort(outs, kind="stable")
        outs, ins = outs[order], ins[order]
        keep = np.ones(len(outs), dtype=bool)
        keep[1:] = (outs[1:] != outs[:-1]) | (ins[1:] != ins[:-1])
        self._out, self._in = outs[keep], ins[keep]
        self._distinct = not np.any(self._out[1:] == self._out[:-1])
