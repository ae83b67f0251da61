"""The policy file as pydantic models (``extra="forbid"`` everywhere)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from anonymiser.policy.report import ReportPolicy
from anonymiser.policy.subset import SubsetPolicy

POLICY_VERSION = 1
_RULE_KEYS = {"mask", "reason", "unique"}


class ColumnRule(BaseModel):
    """``col: keep`` or ``col: {mask: email, unique: true, reason: ..., <strategy options>}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mask: str
    options: dict[str, Any] = Field(default_factory=dict)
    unique: bool | None = None      # None: follow the source's constraints
    reason: str | None = None       # why a personal column is kept or left partly masked

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if data is None:  # YAML reads `col: null` as a missing value; the user means the null strategy
            return {"mask": "null"}
        if isinstance(data, str):
            return {"mask": data}
        if isinstance(data, dict) and "options" not in data:
            if "mask" not in data:
                raise ValueError("a column rule needs 'mask: <strategy>' (e.g. {mask: email})")
            fixed = {k: v for k, v in data.items() if k in _RULE_KEYS}
            fixed["options"] = {k: v for k, v in data.items() if k not in _RULE_KEYS}
            return fixed
        return data

    def to_yaml(self) -> str | dict[str, Any]:
        if not self.options and self.unique is None and self.reason is None:
            return self.mask
        out: dict[str, Any] = {"mask": self.mask, **self.options}
        if self.unique is not None:
            out["unique"] = self.unique
        if self.reason is not None:
            out["reason"] = self.reason
        return out


class TablePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    exclude: bool = False           # leave the table out of the copy entirely


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = POLICY_VERSION
    source: str | None = None
    schema_name: str | None = Field(default=None, alias="schema")
    subset: SubsetPolicy | None = None
    tables: dict[str, TablePolicy] = Field(default_factory=dict)
    quasi_identifiers: list[str] = Field(default_factory=list)
    sensitive_attributes: list[str] = Field(default_factory=list)
    retention_days: int | None = Field(default=None, ge=1)
    report: ReportPolicy = Field(default_factory=ReportPolicy)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != POLICY_VERSION:
            raise ValueError(f"this anonymiser reads policy version {POLICY_VERSION}, not {value}")
        return value

    @field_validator("quasi_identifiers", "sensitive_attributes")
    @classmethod
    def _qualified(cls, value: list[str]) -> list[str]:
        for item in value:
            if item.count(".") < 1:
                raise ValueError(f"{item!r} must be written 'table.column'")
        return value

    def declared(self, attribute: Literal["quasi_identifiers", "sensitive_attributes"]) -> set[tuple[str, str]]:
        """``quasi_identifiers`` or ``sensitive_attributes`` as (table, column) pairs."""
        return {(table, column) for table, _, column in (item.rpartition(".") for item in getattr(self, attribute))}

    def rule(self, table: str, column: str) -> ColumnRule | None:
        table_policy = self.tables.get(table)
        return table_policy.columns.get(column) if table_policy is not None else None

    def excluded_tables(self) -> set[str]:
        return {name for name, table_policy in self.tables.items() if table_policy.exclude}
