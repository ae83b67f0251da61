"""Format-preserving keyed permutation for identifiers and keys (``remap``).

Integers: each value is permuted within its own decimal digit count (``4821`` → another 4-digit
number), capped by the column's integer range, sign kept: a bijection, so primary keys stay unique
and foreign keys masked with the same strategy still join. Strings: digits stay digits, upper-case
letters upper-case, lower-case lower-case, everything else (separators, non-ASCII) stays put; the
alphanumeric characters of each value, read as a mixed-radix number over its character classes,
are permuted with ``fpe.permute`` per layout (values longer than 12 alphanumerics are permuted in
12-character blocks, each block's permutation tweaked by the others, Feistel style). Injective on
every input; the default domain ``remap`` is shared, so the same key value remaps the same in every
table.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import MaskError
from anonymiser.mask.base import TEXT_KINDS, MaskContext, Strategy
from anonymiser.mask.core import prf_ints
from anonymiser.mask.fpe import permute_in
from anonymiser.mask.pseudonym import FakeParams
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import Chars, is_digit, is_lower, is_upper

BLOCK = 12     # 26**12 < 2**62
LONG_CHARS = 8 * BLOCK   # longer values take the linear-time construction (the block-by-block one is quadratic)
LONG_ROUNDS = 4
MASK40 = np.uint64((1 << 40) - 1)


def remap_integers(key: bytes, domain: str, x: np.ndarray, max_abs: int) -> np.ndarray:
    """Permute |x| within its digit count (1–9, 10–99, …, capped at ``max_abs``); keep sign and 0."""
    out = x.copy()
    mag = np.abs(x)
    powers = 10 ** np.arange(19, dtype=np.int64)
    digits = np.searchsorted(powers, mag, side="right")     # 0 for x == 0, which stays 0
    for d in np.unique(digits[digits > 0]):
        rows = np.flatnonzero(digits == d)
        lo, hi = 10 ** (int(d) - 1), min(10 ** int(d) - 1, max_abs)
        out[rows] = np.sign(x[rows]) * permute_in(key, f"{domain}/int", mag[rows], lo, hi)
    return out


def remap_strings(key: bytes, domain: str, values: pa.Array) -> pa.Array:
    chars = Chars.of(values)
    data = chars.data
    radix = np.select([is_digit(data), is_upper(data), is_lower(data)], [10, 26, 26], 0).astype(np.int64)
    base = np.select([is_digit(data), is_upper(data)], [0x30, 0x41], 0x61).astype(np.int64)
    alnum = radix > 0
    # Layout of each value: its class pattern ('9', 'A', 'a', other bytes as themselves).
    pattern = np.where(is_digit(data), ord("9"), np.where(is_upper(data), ord("A"),
                       np.where(is_lower(data), ord("a"), data))).astype(np.uint8)
    layouts = pc.dictionary_encode(chars.to_array(pattern))
    layout_of_row = layouts.indices.to_numpy(zero_copy_only=False)
    # The alphanumeric positions grouped by layout, each group in reading order (rows, then characters):
    # one pass over the data, not one per layout.
    positions = np.flatnonzero(alnum)
    positions = positions[np.argsort(layout_of_row[chars.row[positions]], kind="stable")]
    layout_of_position = layout_of_row[chars.row[positions]]
    bounds = np.searchsorted(layout_of_position, np.arange(len(layouts.dictionary) + 1))
    rows_by_layout = np.argsort(layout_of_row, kind="stable")
    row_bounds = np.searchsorted(layout_of_row[rows_by_layout], np.arange(len(layouts.dictionary) + 1))
    digit_value = data.astype(np.int64) - base
    new = data.copy()
    for layout in range(len(layouts.dictionary)):
        where = positions[bounds[layout]:bounds[layout + 1]]
        if not len(where):
            continue
        n_rows = int(row_bounds[layout + 1] - row_bounds[layout])
        k = len(where) // n_rows
        # (rows, k) matrices of character values and radices, in reading order.
        vals = digit_value[where].reshape(n_rows, k)
        rads = radix[where[:k]]
        tag = str(layouts.dictionary[layout])
        permute_blocks = _permute_blocks if k <= LONG_CHARS else _permute_long
        vals = permute_blocks(key, f"{domain}/str/{tag}", vals, rads)
        new[where] = (vals.reshape(-1) + base[where]).astype(np.uint8)
    return chars.to_array(new)


def _permute_blocks(key: bytes, domain: str, vals: np.ndarray, rads: np.ndarray) -> np.ndarray:
    k = vals.shape[1]
    blocks = [(s, min(s + BLOCK, k)) for s in range(0, k, BLOCK)]
    vals = vals.copy()
    rounds = 1 if len(blocks) == 1 else 3
    for r in range(rounds):
        for i, (s, e) in enumerate(blocks):
            weights = np.cumprod(np.concatenate([[1], rads[s:e][::-1][:-1]]))[::-1]
            number = vals[:, s:e] @ weights
            size = int(np.prod(rads[s:e].astype(object)))
            # Tweak: keyed digest of the other blocks, so each block's permutation depends on them.
            others = np.delete(vals, np.s_[s:e], axis=1)
            tweak = np.zeros(len(vals), dtype=np.int64)
            for c in range(others.shape[1]):
                tweak = (tweak * 37 + others[:, c]) % (1 << 40)
            salted = f"{domain}/{r}/{i}" if others.shape[1] == 0 else f"{domain}/{r}/{i}/t"
            number = _tweaked(key, salted, number, size, tweak if others.shape[1] else None)
            for j in range(e - 1, s - 1, -1):
                vals[:, j] = number % rads[j]
                number //= rads[j]
    return vals


def _digest(vals: np.ndarray) -> np.ndarray:
    """Per row, sum of vals[:, c] * 37**(n-1-c) mod 2**40 (uint64 arithmetic wraps mod 2**64, a multiple)."""
    powers = np.cumprod(np.full(vals.shape[1], 37, dtype=np.uint64))[::-1] // np.uint64(37)
    powers[-1] = 1
    return ((vals.astype(np.uint64) * powers).sum(axis=1, dtype=np.uint64) & MASK40).astype(np.int64)


def _permute_long(key: bytes, domain: str, vals: np.ndarray, rads: np.ndarray) -> np.ndarray:
    """Values longer than ``LONG_CHARS`` alphanumerics: a two-branch Feistel over the 12-character blocks.
    Even and odd blocks take turns; in a half-round every block of one branch is permuted at once, its
    tweak a digest of the whole other branch and its own index: each half-round is a bijection (the other
    branch is unchanged, so the tweaks can be recomputed), and the cost is linear in the length."""
    n_rows, k = vals.shape
    n_blocks = -(-k // BLOCK)
    blocks = np.zeros((n_rows, n_blocks, BLOCK), dtype=np.int64)
    blocks.reshape(n_rows, -1)[:, :k] = vals
    block_rads = np.ones(n_blocks * BLOCK, dtype=np.int64)   # padding has radix 1: always digit 0
    block_rads[:k] = rads
    block_rads = block_rads.reshape(n_blocks, BLOCK)
    weights = np.ones_like(block_rads)
    for j in range(BLOCK - 2, -1, -1):
        weights[:, j] = weights[:, j + 1] * block_rads[:, j + 1]
    sizes = weights[:, 0] * block_rads[:, 0]                  # at most 26**12 < 2**63
    for r in range(LONG_ROUNDS):
        side, other = slice(r % 2, None, 2), slice(1 - r % 2, None, 2)
        mine, rad, index = blocks[:, side, :], block_rads[side], np.arange(n_blocks)[side]
        numbers = (mine * weights[side]).sum(axis=2)
        tweak = (_digest(blocks[:, other, :].reshape(n_rows, -1)) << 20)[:, None] + index[None, :]
        for size in np.unique(sizes[side]).tolist():
            chosen = np.flatnonzero(sizes[side] == size)
            numbers[:, chosen] = _tweaked(key, f"{domain}/long/{r}", numbers[:, chosen].reshape(-1), int(size),
                                          tweak[:, chosen].reshape(-1)).reshape(n_rows, len(chosen))
        for j in range(BLOCK - 1, -1, -1):
            mine[:, :, j] = numbers % rad[:, j]
            numbers //= rad[:, j]
    return blocks.reshape(n_rows, -1)[:, :k]


def _tweaked(key: bytes, domain: str, number: np.ndarray, size: int, tweak: np.ndarray | None) -> np.ndarray:
    if tweak is None:
        return permute_in(key, domain, number, 0, size - 1)
    # Offset by a keyed function of the tweak (a bijection for each fixed tweak), then permute.
    shift = (prf_ints(key, domain, tweak) % np.uint64(size)).astype(np.int64)
    return permute_in(key, domain, (number + shift) % size, 0, size - 1)


@register
class Remap(Strategy):
    name = "remap"
    params_model = FakeParams
    format_preserving = True
    summary = "keyed format-preserving permutation (same length, character classes, digit count)"
    technique = "pseudonymisation"
    entities = ()
    leak_class = None
    accepts = TEXT_KINDS | {"integer"}

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        domain = getattr(self.params, "domain", None) or "remap"
        arr = values
        self.stats.cells += len(values)
        self.stats.nulls += arr.null_count
        encoded = pc.dictionary_encode(arr)
        distinct = encoded.dictionary
        self.stats.distinct += len(distinct)
        t = arr.type
        if pa.types.is_integer(t):
            bits = ctx.column.bits or t.bit_width
            max_abs = (1 << (bits - (1 if pa.types.is_signed_integer(t) else 0))) - 1
            x = distinct.to_numpy(zero_copy_only=False).astype(np.int64)
            mapped = pa.array(remap_integers(ctx.key, domain, x, min(max_abs, (1 << 62) - 1)), t)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            mapped = remap_strings(ctx.key, domain, distinct).cast(t)
        else:
            raise MaskError(
                f"remap needs an integer or text column, not {t}",
                table=ctx.table, column=ctx.column.name,
                hint="Use 'hash' for binary/UUID keys stored in other types.",
            )
        return pc.take(mapped, encoded.indices)
