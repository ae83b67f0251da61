"""The contract between the pipeline and a masking strategy.

A strategy masks one whole column of one chunk at a time (a pandas Series backed by Arrow) and
must be a pure function of (key, params, value[, other columns of the same row]): the same input
gives the same output in every chunk, table and run. It never mutates its input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from anonymiser.schema import ColumnInfo

# ISO/IEC 20889 technique families, as the report names them.
Technique = Literal["none", "suppression", "pseudonymisation", "generalisation", "randomisation"]


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


@dataclass(frozen=True)
class MaskContext:
    key: bytes                      # the masking key; never log or store it
    table: str
    column: ColumnInfo
    unique: bool = False            # the output must stay unique (the source column is a key)
    frame: pd.DataFrame | None = None   # the whole chunk, read-only, for rules keyed by another column


class Strategy(ABC):
    """One masking technique. Subclasses set the class attributes and implement ``mask``."""

    name: ClassVar[str]
    params_model: ClassVar[type[StrategyParams]] = StrategyParams
    technique: ClassVar[Technique]
    deterministic: ClassVar[bool] = True
    format_preserving: ClassVar[bool] = False
    summary: ClassVar[str] = ""

    def __init__(self, params: StrategyParams | None = None) -> None:
        self.params = params if params is not None else self.params_model()
        self.stats = MaskStats()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Strategy:
        return cls(cls.params_model.model_validate(options))

    def output_column(self, column: ColumnInfo) -> ColumnInfo:
        """The column's type after masking (generalisation may change it). Default: unchanged."""
        return column

    def referenced_columns(self) -> list[str]:
        """Other columns of the same table this strategy reads from ``ctx.frame``."""
        return []

    @abstractmethod
    def mask(self, values: pd.Series, ctx: MaskContext) -> pd.Series:
        """Return a new Series of the same length and index; NULL stays NULL, '' stays ''."""
