"""A keyed valid member of the column's declared ENUM, or a keyed subset of its declared SET members.

ENUM (MySQL/MariaDB ``ENUM(...)``, a PostgreSQL enum type, SQLite's declared ``ENUM(...)``): each value
becomes one of the declared members, chosen by the keyed PRF of the value, so the same value gets the
same member in every row, table and run. On a unique column (or one in a key) the choice is a keyed
permutation of the members instead, so distinct values stay distinct.

SET (MySQL/MariaDB): each value becomes a keyed subset of the declared members, in declared order, a
function of the set of members the value holds (``'b,a'`` and ``'a,b'`` agree); a non-empty set stays
non-empty, ``''`` stays ``''``. On a unique column the subset is a keyed permutation of the non-empty
subsets.

The domain is the member list, so columns declared with the same members (one enum type used by
several tables) agree. With few members a value may well draw itself: the mapping hides which value a
row held only as far as the members allow; use ``null`` where even that is too much.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.errors import MaskError
from anonymiser.mask import columnar
from anonymiser.mask.base import MaskContext, Strategy, StrategyParams
from anonymiser.mask.core import pick, prf, prf_ints
from anonymiser.mask.fpe import permute
from anonymiser.mask.registry import register
from anonymiser.schema import ColumnInfo

MAX_SET_MEMBERS = 62      # keyed permutations of the subsets work below 2**62 (MySQL allows 64 members)


class MemberParams(StrategyParams):
    domain: str | None = None     # share choices with another column whose members differ in order


@register
class Member(Strategy):
    name = "member"
    params_model = MemberParams
    summary = "keyed member of the column's declared ENUM (SET: keyed subset of its members)"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "dictionary"
    accepts = frozenset({"enum", "set"})

    def rejects(self, column: ColumnInfo) -> str | None:
        declared = (column.native_type or column.sql_type).upper()
        if column.kind not in ("enum", "set") and declared.startswith(("ENUM", "SET")):
            return (f"'member' needs the column's declared members, and SQLite's {declared} declares none "
                    f"(declare them as CHECK ({column.name} IN ('a', 'b', ...)) in the source table)")
        why = super().rejects(column)
        if why is None and not column.members:
            return f"'member' needs the column's declared members, and {column.sql_type} declares none"
        return why

    def domain_of(self, column: ColumnInfo) -> str:
        assert isinstance(self.params, MemberParams)
        return self.params.domain or "member/" + "\x1f".join(column.members)

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        members = ctx.column.members
        if not members:
            raise MaskError("'member' needs the column's declared members", table=ctx.table, column=ctx.column.name,
                            hint="Use 'keep' or 'null' for this column.")
        text = columnar.as_text(columnar.flat(values))
        encoded = pc.dictionary_encode(text)
        distinct = encoded.dictionary
        domain = self.domain_of(ctx.column)
        if ctx.column.kind == "set":
            fakes = self._subsets(distinct, members, domain, ctx)
        else:
            fakes = self._members(distinct, members, domain, ctx.key, ctx.unique)
        empty = pc.equal(distinct, "")
        fakes = pc.if_else(empty, distinct, fakes)         # '' stays '' (MySQL's empty SET, or invalid ENUM)
        self.stats.cells += len(values)
        self.stats.distinct += len(distinct)
        self.stats.nulls += values.null_count
        return columnar.cast_like(pc.take(fakes, encoded.indices), values.type)

    @staticmethod
    def _members(distinct: pa.Array, members: tuple[str, ...], domain: str, key: bytes,
                 unique: bool) -> pa.Array:
        n = len(members)
        choice, _ = pick(prf(key, domain, distinct)[:, 0], n)
        choice = choice.astype(np.int64)
        if unique:   # a keyed permutation of the members: distinct values stay distinct
            index = pc.index_in(distinct, value_set=pa.array(members, pa.string()))
            known = np.asarray(index.is_valid())
            positions = np.asarray(index.fill_null(0), dtype=np.int64)
            choice[known] = permute(key, domain + "/unique", positions[known], n)
        return pa.array(members, pa.string()).take(pa.array(choice))

    def _subsets(self, distinct: pa.Array, members: tuple[str, ...], domain: str, ctx: MaskContext) -> pa.Array:
        n = len(members)
        if n > MAX_SET_MEMBERS:
            raise MaskError(f"'member' handles SETs of up to {MAX_SET_MEMBERS} members; this one has {n}",
                            table=ctx.table, column=ctx.column.name, hint="Use 'keep' or 'null' for this column.")
        bits = set_bits(distinct, members)
        full = (1 << n) - 1
        if ctx.unique:
            nonzero = bits > 0
            out = bits.copy()
            out[nonzero] = permute(ctx.key, domain + "/unique", bits[nonzero] - 1, full) + 1
        else:
            drawn = prf_ints(ctx.key, domain, bits)
            out = (drawn & np.uint64(full)).astype(np.int64)
            # A non-empty set stays non-empty: an empty draw becomes one keyed member.
            lonely = (out == 0) & (bits > 0)
            single, _ = pick(prf_ints(ctx.key, domain + "/one", bits[lonely]), n)
            out[lonely] = np.left_shift(1, single.astype(np.int64))
            out[bits == 0] = 0
        return set_text(out, members)


def set_bits(values: pa.Array, members: tuple[str, ...]) -> np.ndarray:
    """The declared members each SET value holds, as a bit mask (bit i: member i); unknown parts ignored."""
    parts = pc.split_pattern(values, ",")
    flat = pc.list_flatten(parts)
    rows = np.asarray(pc.list_parent_indices(parts), dtype=np.int64)
    index = pc.index_in(flat, value_set=pa.array(members, pa.string()))
    known = np.asarray(index.is_valid())
    positions = np.asarray(index.fill_null(0), dtype=np.int64)
    bits = np.zeros(len(values), dtype=np.int64)
    np.bitwise_or.at(bits, rows[known], np.left_shift(1, positions[known]))
    return bits


def set_text(bits: np.ndarray, members: tuple[str, ...]) -> pa.Array:
    """Each bit mask as MySQL writes a SET: the members it holds, in declared order, joined by commas."""
    n = len(members)
    held = (bits[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1 == 1     # (rows, n)
    _, columns = np.nonzero(held)                                              # row-major: declared order
    offsets = np.zeros(len(bits) + 1, dtype=np.int32)
    np.cumsum(held.sum(axis=1), out=offsets[1:])
    names = pa.array(members, pa.string()).take(pa.array(columns))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), names), ",")
