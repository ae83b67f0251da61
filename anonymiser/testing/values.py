"""Values for new rows: run-unique numbers and tokens, samples of the masked data, keyed fakes.

**Unique across workers and runs.** Every run has a 40-bit run number (from the host, the controller's
process id and a random nonce) and every worker an index. A unique text value embeds the token
``<run><worker><sequence>`` (base 36), so it cannot repeat in another worker or run. A unique integer
lies above the dataset's largest key plus a headroom (room for the code under test's own identity
inserts), in a block of numbers chosen by the run number; inside a block each worker has its own
stripe, so workers never meet and two runs meet only if they draw the same block (one in thousands for
a 32-bit key, never in practice for a 64-bit one). Before an insert every unique value is also checked
against the table, so a value can never break the constraint.

**Keyed fakes.** A personal column is faked by the policy's own strategy (``email``, ``nz_ird``,
``phone`` …) applied to one of the dataset's masked values with a key of its own per value (derived
from a per-run key, the column and the sequence number): the result has the column's layout, passes
the same validation (check digits, NHI from the ``Z`` test range, reserved email domains) and is
never a value of the dataset or of the source.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import factory.random
import pyarrow as pa
import sqlalchemy as sa
from faker import Faker

from anonymiser.errors import AnonymiserError
from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.schema import ColumnInfo
from anonymiser.testing.columns import ColumnSpec

DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SAMPLE_ROWS = 500           # masked values read per column to sample from
ATTEMPTS = 8                # fresh draws for a unique column before giving up
UNREADABLE = (TypeError, ValueError, ArithmeticError, sa.exc.DataError)   # a value the driver cannot convert


class FactoryError(AnonymiserError):
    """A factory cannot make a valid row as asked."""

    reason_code = "factory"


def base36(number: int, width: int = 0) -> str:
    digits = ""
    while number or not digits:
        number, rest = divmod(number, 36)
        digits = DIGITS36[rest] + digits
    return digits.rjust(width, "0")


@dataclass(frozen=True)
class Tokens:
    run: int                # 40 bits, different in every run
    worker: int             # 0 for gw0 (and without xdist)
    workers: int

    def text(self, sequence: int) -> str:
        """``<run:8><worker:2><sequence>``: unique across workers and runs."""
        return base36(self.run, 8)[-8:] + base36(self.worker, 2) + base36(sequence)

    def integer(self, sequence: int, floor: int, upper: int) -> int:
        """A number in (floor, upper]: this worker's stripe of a block chosen by the run number."""
        space = upper - floor
        stripe = min(1 << 16, space // (self.workers * 16))
        if stripe < 1:
            raise FactoryError(f"no room left for new keys between {floor:,} and {upper:,}",
                               hint="Pass the key as an override, or widen the column.")
        block = self.workers * stripe
        blocks = space // block
        chosen = (self.run + sequence // stripe) % blocks
        return floor + 1 + chosen * block + self.worker * stripe + sequence % stripe


def upper_bound(bits: int | None, dialect: str) -> int:
    if bits is None:
        bits = 64 if dialect == "sqlite" else 32
    return (1 << (bits - 1)) - 1


def mask_one(strategy: Strategy, value: Any, key: bytes, table: str, column: ColumnInfo) -> Any:
    """The strategy applied to one value, alone in its chunk. A ``by`` column the strategy reads gets a
    constant (the per-value key already makes each draw its own)."""
    references = strategy.referenced_columns()
    batch = pa.RecordBatch.from_pydict({name: ["factory"] for name in references}) if references else None
    out = strategy.mask_column(pa.array([value]), MaskContext(key=key, table=table, column=column, batch=batch))
    return out.to_pylist()[0]


def _email_with_token(value: str, token: str, length: int | None) -> str:
    local, _, domain = value.rpartition("@")
    room = (length or 254) - len(domain) - len(token) - 2
    return f"{local[:max(room, 1)]}+{token}@{domain}"


# Strategies whose output format has a free part to carry the run-unique token.
TOKEN_FORMATS: dict[str, Callable[[str, str, int | None], str]] = {
    "email": _email_with_token,
    "username": lambda value, token, length: (value[:max((length or 64) - len(token) - 1, 1)] + "." + token),
}


class Values:
    """One worker session's source of values (its engine, samples, key maxima, factory key)."""

    def __init__(self, engine: sa.Engine, tables: Mapping[str, sa.Table], tokens: Tokens) -> None:
        self.engine = engine
        self.tables = tables
        self.tokens = tokens
        self.key = hashlib.sha256(f"anonymiser/factory/{tokens.run}/{tokens.worker}".encode()).digest()
        self.faker = Faker("en_NZ")
        self.conn: sa.Connection | None = None        # the current test's connection
        self._samples: dict[tuple[str, str], list[Any]] = {}
        self._maxima: dict[tuple[str, str], int] = {}
        self._strategies: dict[tuple[str, str], Strategy] = {}
        self.raw: set[tuple[str, str]] = set()

    # -- reads of the dataset (committed data, on a connection of their own) --

    def samples(self, spec: ColumnSpec) -> list[Any]:
        key = (spec.table, spec.name)
        while key not in self._samples:
            column = self.tables[spec.table].c[spec.name]
            query = sa.select(self.readable(spec.table, spec.name)).where(column.is_not(None)).limit(SAMPLE_ROWS)
            try:
                with self.engine.connect() as conn:
                    self._samples[key] = [row[0] for row in conn.execute(query)]
            except UNREADABLE:
                if key in self.raw:
                    raise
                self.mark_raw(spec.table, spec.name)    # e.g. PostgreSQL's 'infinity' dates: read them as text
        return self._samples[key]

    def mark_raw(self, table: str, column: str) -> None:
        """Values the driver cannot read into the declared type travel as text (or as stored), both ways."""
        self.raw.add((table, column))
        self.tables[table].c[column].type = sa.types.NullType()

    def readable(self, table: str, column: str) -> sa.ColumnElement[Any]:
        """The column as a query reads it: as text where its values do not fit the declared type."""
        element = self.tables[table].c[column]
        if (table, column) not in self.raw:
            return element
        if self.engine.dialect.name == "postgresql":
            return sa.cast(element, sa.Text).label(column)
        return sa.type_coerce(element, sa.types.NullType()).label(column)

    def floor(self, spec: ColumnSpec) -> int:
        """The dataset's largest value of an integer key, plus headroom for the code under test's inserts."""
        key = (spec.table, spec.name)
        if key not in self._maxima:
            column = self.tables[spec.table].c[spec.name]
            with self.engine.connect() as conn:
                largest = conn.execute(sa.select(sa.func.max(column))).scalar()
            upper = upper_bound(spec.info.bits, self.engine.dialect.name)
            base = max(int(largest or 0), 0)
            self._maxima[key] = base + min(1_000_000, (upper - base) // 4)
        return self._maxima[key]

    # -- per row --

    def value(self, spec: ColumnSpec, sequence: int, row: Any) -> Any:
        """The value of ``spec``'s column in the row numbered ``sequence`` (``row`` resolves siblings)."""
        if spec.role == "null":
            return None
        if spec.role == "next_in_parent":
            return self._next_in_parent(spec, sequence, row)
        for attempt in range(ATTEMPTS):
            candidate = self._draw(spec, sequence, attempt)
            if not spec.unique or candidate is None or not self._exists(spec, candidate):
                return candidate
        raise FactoryError(f"no new unique value after {ATTEMPTS} draws", table=spec.table, column=spec.name,
                           hint=f"Pass {spec.name}=… to the factory.")

    def _draw(self, spec: ColumnSpec, sequence: int, attempt: int) -> Any:
        if spec.role == "unique_int":
            upper = upper_bound(spec.info.bits, self.engine.dialect.name)
            return self.tokens.integer(sequence + (attempt << 24), self.floor(spec), upper)
        if spec.role == "unique_text":
            token = self.tokens.text(sequence) + (base36(attempt) if attempt else "")
            return token[-spec.info.length:] if spec.info.length else token
        if spec.role == "uuid":
            made = uuid.UUID(int=factory.random.randgen.getrandbits(128), version=4)
            return made if isinstance(self.tables[spec.table].c[spec.name].type, sa.Uuid) else str(made)
        if spec.role == "fake":
            return self._fake(spec, sequence, attempt)
        return self._sample(spec)

    def _sample(self, spec: ColumnSpec) -> Any:
        pool = self.samples(spec)
        return factory.random.randgen.choice(pool) if pool else self.default(spec)

    def _fake(self, spec: ColumnSpec, sequence: int, attempt: int) -> Any:
        seed = self._sample(spec)
        if seed is None:
            return None
        strategy = self._strategies.get((spec.table, spec.name))
        if strategy is None:
            strategy = self._strategies[(spec.table, spec.name)] = spec.build_strategy()
        key = hmac.new(self.key, f"{spec.table}\x1f{spec.name}\x1f{sequence}\x1f{attempt}".encode(),
                       hashlib.sha256).digest()
        faked = mask_one(strategy, seed, key, spec.table, spec.info)
        shape = TOKEN_FORMATS.get(spec.strategy)
        if spec.unique and shape is not None and isinstance(faked, str):
            faked = shape(faked, self.tokens.text(sequence), spec.info.length)
        return faked

    def _next_in_parent(self, spec: ColumnSpec, sequence: int, row: Any) -> int:
        scope = {name: getattr(row, name) for name in spec.scope}
        if any(v is None for v in scope.values()) or self.conn is None:
            upper = upper_bound(spec.info.bits, self.engine.dialect.name)
            return self.tokens.integer(sequence, self.floor(spec), upper)
        table = self.tables[spec.table]
        query = sa.select(sa.func.coalesce(sa.func.max(table.c[spec.name]), 0) + 1).where(
            *(table.c[name] == value for name, value in scope.items()))
        return int(self.conn.execute(query).scalar_one())

    def _exists(self, spec: ColumnSpec, value: Any) -> bool:
        if self.conn is None:        # built, not inserted
            return False
        table = self.tables[spec.table]
        query = sa.select(sa.literal(1)).select_from(table).where(table.c[spec.name] == value).limit(1)
        return self.conn.execute(query).first() is not None

    def default(self, spec: ColumnSpec) -> Any:
        """A value for a column the dataset has no value of (an empty table, an all-NULL column)."""
        info, fake, rand = spec.info, self.faker, factory.random.randgen
        if info.nullable:
            return None
        kind = info.kind
        if kind == "integer":
            return rand.randint(1, 1000)
        if kind == "float":
            return round(rand.uniform(0, 1000), 2)
        if kind == "decimal":
            scale = info.scale or 0
            return decimal.Decimal(rand.randint(0, 10 ** min((info.precision or 10) - scale, 6) - 1)).scaleb(-scale)
        if kind == "boolean":
            return False
        if kind == "date":
            return dt.date.today()
        if kind == "datetime":
            return dt.datetime.now(dt.UTC if info.timezone else None).replace(microsecond=0)
        if kind == "time":
            return dt.time(12, 0)
        if kind == "interval":
            return dt.timedelta(0)
        if kind == "binary":
            return bytes(rand.getrandbits(8) for _ in range(min(info.length or 8, 8)))
        if kind == "json":
            return {} if isinstance(self.tables[spec.table].c[spec.name].type, sa.JSON) else "{}"
        if kind in ("enum", "set") and info.members:
            return rand.choice(info.members)
        if kind == "array":
            return []
        text = fake.word()
        return text[:info.length] if info.length else text
