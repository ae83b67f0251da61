"""The contract between the pipeline and a masking strategy.

A strategy masks one whole column of one chunk at a time: ``mask(values: pa.Array, ctx) -> pa.Array``
with the same length, NULL where the input is NULL and '' where it is ''. It must be a pure function
of (key, params, value[, other columns of the same row, read from ``ctx.batch``]): the same input
gives the same output in every chunk, table and run. It never mutates its input.

A strategy describes itself in its own module, so the registry, ``check``, detection, verify and
the README's table all read the same facts: ``technique`` (ISO/IEC 20889 family), ``entities`` (the
detected entity types it is the default for), ``leak_class`` (how verify judges a source value of
such a column reappearing in the output) and ``accepts`` (the column kinds it can mask).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, ClassVar, Literal, Protocol, get_args

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, BeforeValidator, ConfigDict

from anonymiser.errors import MaskError
from anonymiser.mask.lists import map_leaves
from anonymiser.mask.source_values import SourceValues
from anonymiser.schema import ColumnInfo, ColumnKind

# ISO/IEC 20889 technique families, as the report names them.
Technique = Literal["none", "suppression", "pseudonymisation", "generalisation", "randomisation"]

# How verify's leak scan treats a source value of a column masked this way (see verify/leakindex.py):
# identifier — too specific to reappear by chance: any appearance anywhere is a leak;
# composite   — built from dictionary parts (full names, addresses): a fake can spell a real one;
# dictionary  — a single name, city, date or number: coincidences are expected;
# default     — judged by the value's shape (strict when long and identifier-like).
# A strategy that does not know what its values are (keep, null, redact, hash, remap, free_text)
# declares None: the column's class then comes from the entity detection found in it
# (``registry.leak_class``, recorded per column in the manifest).
LeakClass = Literal["identifier", "composite", "dictionary", "default"]

ALL_KINDS: frozenset[ColumnKind] = frozenset(get_args(ColumnKind))
TEXT_KINDS: frozenset[ColumnKind] = frozenset({"string", "text", "other"})

# PostgreSQL (and MariaDB INET6/INET4) types read as their text form ("other") whose values follow a syntax
# of their own: a fake written there would not load (an e-mail address is no int4range). Only strategies
# that write no new text (keep, null), or that write the type's own syntax (``writes_syntax``), mask them.
_SYNTAX_TYPES = frozenset({
    "interval", "time with time zone", "inet", "cidr", "macaddr", "macaddr8", "bit", "bit varying", "tsvector",
    "tsquery", "xml", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
    "int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange",
    "point", "line", "lseg", "box", "path", "polygon", "circle", "pg_lsn", "txid_snapshot", "pg_snapshot",
    "jsonpath", "inet6", "inet4",
})


def own_syntax(column: ColumnInfo) -> str | None:
    """The type whose syntax the column's values follow, when a fake text would not fit it."""
    if column.kind != "other":
        return None
    declared = (column.native_type or "").lower().split("(", 1)[0].strip()
    if declared in _SYNTAX_TYPES:
        return declared
    return column.user_type   # a PostgreSQL composite or range type of the source
NUMERIC_KINDS: frozenset[ColumnKind] = frozenset({"integer", "float", "decimal"})
TEMPORAL_KINDS: frozenset[ColumnKind] = frozenset({"date", "datetime"})


# What to do with cells a strategy cannot read ('invalid: fail' stops the run, 'invalid: null' blanks them).
# YAML reads a bare 'null' as None: the error messages say 'invalid: null', so None means "null" here.
InvalidCells = Annotated[Literal["fail", "null"], BeforeValidator(lambda value: "null" if value is None else value)]


class StrategyParams(BaseModel):
    """Base of every strategy's parameters; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class MaskStats:
    """Counts a strategy reports for the manifest (never values)."""

    cells: int = 0
    distinct: int = 0
    nulls: int = 0
    collisions_resolved: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int) -> None:
        """Add ``n`` to the strategy's own counter ``name`` (kept in ``extra``)."""
        self.extra[name] = self.extra.get(name, 0) + n


class Span(Protocol):
    """A personal span found in a text: character offsets and the entity type (never the text)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def entity(self) -> str: ...


class SpanFinder(Protocol):
    """Finds personal spans in distinct texts: non-overlapping, in text order, one list per text.

    Detection provides it (``anonymiser.detect.spans.find_spans``); the pipeline hands it to
    ``free_text`` through ``MaskContext.find_spans``, so masking never imports detection.
    """

    def __call__(self, texts: Sequence[str], *, entities: Collection[str],
                 threshold: float) -> Sequence[Sequence[Span]]: ...


@dataclass(frozen=True)
class MaskContext:
    key: bytes                      # the masking key; never log or store it
    table: str
    column: ColumnInfo
    unique: bool = False            # the output must stay unique (the source column is a key)
    batch: pa.RecordBatch | None = None   # the whole chunk, read-only, for rules keyed by another column
    find_spans: SpanFinder | None = None  # for strategies that mask spans inside text (free_text)
    source_values: SourceValues | None = None   # the run's source values per domain: no fake may equal one
    case_insensitive: bool = False  # the source compares this column ignoring case (a ``_ci`` collation)

    def other_column(self, name: str) -> pa.Array:
        """Column ``name`` of the same chunk (a strategy's ``by`` option reads it)."""
        if self.batch is None or name not in self.batch.schema.names:
            raise MaskError(
                f"option 'by: {name}' names a column that is not in the table",
                table=self.table, column=self.column.name,
                hint="Use one of the table's columns for 'by' (it keys the draw per entity), or drop 'by'.",
            )
        return self.batch.column(name)


class Strategy(ABC):
    """One masking technique. Subclasses set the class attributes and implement ``mask``."""

    name: ClassVar[str]
    params_model: ClassVar[type[StrategyParams]] = StrategyParams
    technique: ClassVar[Technique]
    entities: ClassVar[tuple[str, ...]] = ()       # detected entity types this is the default strategy for
    leak_class: ClassVar[LeakClass | None]          # None: the detected entity decides
    accepts: ClassVar[frozenset[ColumnKind]]        # column kinds it can mask (with some params, at least)
    deterministic: ClassVar[bool] = True
    format_preserving: ClassVar[bool] = False
    summary: ClassVar[str] = ""
    writes_values: ClassVar[bool] = True            # False: writes no new value (keep, null)
    writes_syntax: ClassVar[frozenset[str]] = frozenset()   # own_syntax() types whose syntax its values follow
    # Each distinct text is masked on its own and at a cost (free text): a run masks each distinct text of a
    # column once per table, not once per chunk (pool.py). Needs ``mask`` to use no other column.
    per_text: ClassVar[bool] = False

    def __init__(self, params: StrategyParams | None = None) -> None:
        self.params = params if params is not None else self.params_model()
        self.stats = MaskStats()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Strategy:
        return cls(cls.params_model.model_validate(options))

    @property
    def keeps_values(self) -> bool:
        """The output is the source value unchanged (technique ``none``: ``keep``)."""
        return self.technique == "none"

    def accepted_kinds(self) -> frozenset[ColumnKind]:
        """The column kinds this strategy can mask with its params (``generalise`` narrows by ``to``)."""
        return self.accepts

    def rejects(self, column: ColumnInfo) -> str | None:
        """Why this strategy cannot mask ``column`` (known from the schema alone), or None."""
        kinds = self.accepted_kinds()
        if column.kind not in kinds:
            article = "an" if column.kind[0] in "aeiou" else "a"
            return f"{self.name!r} cannot mask {article} {column.kind} column ({column.sql_type}); it masks " \
                   f"{', '.join(sorted(kinds))} columns"
        syntax = own_syntax(column)
        if syntax and self.writes_values and syntax not in self.writes_syntax:
            return f"{self.name!r} cannot mask this {syntax} column ({column.native_type or column.sql_type}): " \
                   f"its values follow {syntax}'s own syntax, which {self.name!r} does not write (the copy would " \
                   "not load)"
        return None

    def output_column(self, column: ColumnInfo) -> ColumnInfo:
        """The column's type after masking (generalisation may change it). Default: unchanged."""
        return column

    # What the planner and the pipeline call. An array column whose kind the strategy does not take
    # whole (``keep`` and ``null`` do) is masked element by element: the strategy sees one flat column
    # of all the elements (mask/lists.py), so a text[] of e-mails gets the same fakes as a scalar column.

    def masks_elements(self, column: ColumnInfo) -> bool:
        """True when ``column`` is an array this strategy masks element by element."""
        return column.kind == "array" and "array" not in self.accepted_kinds()

    def fit_problem(self, column: ColumnInfo) -> str | None:
        """``rejects`` for the column, or for its elements when the strategy masks them one by one."""
        if self.masks_elements(column):
            why = self.rejects(column.element())
            return None if why is None else f"the elements of {column.sql_type}: {why}"
        return self.rejects(column)

    def column_after(self, column: ColumnInfo) -> ColumnInfo:
        """``output_column``, applied to the elements of an array the strategy masks one by one."""
        if not self.masks_elements(column):
            return self.output_column(column)
        element = column.element()
        after = self.output_column(element)
        if after == element:
            return column
        return column.model_copy(update={"element_kind": after.kind, "length": after.length,
                                         "precision": after.precision, "scale": after.scale, "bits": after.bits,
                                         "native_type": None, "sql_type": f"{after.sql_type}[]"})

    def mask_column(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        """``mask`` on the whole column, or on all the elements of an array column at once."""
        if not self.masks_elements(ctx.column):
            return self.mask(values, ctx)
        element = ctx.column.element()
        by_row = ctx.batch is not None and bool(self.referenced_columns())

        def mask_leaves(leaves: pa.Array, rows: np.ndarray) -> pa.Array:
            # A strategy keyed by another column (date_shift 'by') sees each element's own row.
            batch = ctx.batch.take(pa.array(rows)) if by_row and ctx.batch is not None else None
            return self.mask(leaves, replace(ctx, column=element, batch=batch))

        return map_leaves(values, mask_leaves)

    def referenced_columns(self) -> list[str]:
        """Other columns of the same table this strategy reads from ``ctx.batch``."""
        return []

    def release(self) -> None:
        """Drop what the strategy keeps from chunk to chunk (a unique column's resolver): every table is masked."""
        return

    @abstractmethod
    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        """A new array of the same length; NULL stays NULL, '' stays ''; the type may follow
        ``output_column`` (the pipeline casts to the output column's Arrow type)."""
