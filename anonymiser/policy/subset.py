"""The policy's ``subset:`` section.

```yaml
subset:
  seed: 7                               # same seed, same rows
  roots:
    - table: customer
      percent: 10                       # or rows: 500; where: "..." alone or combined with either
  include_children: true                # follow children of kept root rows (transitively)
  max_children_per_parent: 50           # default bound per relation and parent row (none: all)
  children:                             # per-relation overrides
    - table: invoice_line               # the child table
      via: [invoice_id]                 # its FK columns (optional when there is one FK to that parent)
      limit: 5
    - table: employee
      via: [reports_to]
      follow: false
  unreached: related                    # tables no root reaches: related | drop
  virtual_foreign_keys:
    - {table: audit, columns: [customer_ref], ref_table: customer, ref_columns: [customer_id]}
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RootSpec(_Section):
    table: str
    percent: float | None = Field(default=None, gt=0, le=100)
    rows: int | None = Field(default=None, ge=0)
    where: str | None = None

    @model_validator(mode="after")
    def _one_size(self) -> RootSpec:
        if self.percent is not None and self.rows is not None:
            raise ValueError("give 'percent' or 'rows', not both")
        if self.percent is None and self.rows is None and self.where is None:
            raise ValueError("give one of 'percent', 'rows' or 'where'")
        return self


class VirtualForeignKey(_Section):
    table: str
    columns: list[str] = Field(min_length=1)
    ref_table: str
    ref_columns: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_arity(self) -> VirtualForeignKey:
        if len(self.columns) != len(self.ref_columns):
            raise ValueError("'columns' and 'ref_columns' must have the same length")
        return self


class ChildRule(_Section):
    """How to follow one child relation (child table + its FK columns) downwards from kept rows."""

    table: str
    via: list[str] | None = Field(default=None, min_length=1)  # the child's FK columns
    parent: str | None = None                                   # the referenced table
    follow: bool = True
    limit: int | None = Field(default=None, ge=0)               # children kept per parent row


class SubsetPolicy(_Section):
    seed: int = 0
    roots: list[RootSpec] = Field(default_factory=list)
    include_children: bool = True
    max_children_per_parent: int | None = Field(default=None, ge=0)
    children: list[ChildRule] = Field(default_factory=list)
    # related: tables no root reaches keep the rows that reference kept rows (whole when they
    # reference nothing filtered, e.g. lookup tables); drop: they are left empty.
    unreached: Literal["related", "drop"] = "related"
    virtual_foreign_keys: list[VirtualForeignKey] = Field(default_factory=list)
    batch_size: int | None = Field(default=None, ge=1)           # keys per IN list (default: per dialect)
