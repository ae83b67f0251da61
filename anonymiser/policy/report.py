"""The policy's report-related settings (sign-off block, risk targets, an accepted residual risk)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RiskAcceptance(BaseModel):
    """A reviewer's explicit acceptance of records below ``k_target`` (issue 12 item 8).

    Without one, a copy whose quasi-identifiers leave records below the target fails verification.
    The report shows the reviewer and the reason beside the figure. ``max_share_below_k_target``
    bounds what was accepted: a later run that leaves a larger share below the target fails again.
    """

    model_config = ConfigDict(extra="forbid")

    reviewer: str                           # who accepted it, e.g. "Mere Ngata, privacy officer"
    reason: str                             # why the residual risk is acceptable for this copy
    date: dt.date | None = None             # when it was accepted
    max_share_below_k_target: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("reviewer", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank: an acceptance names its reviewer and gives its reason")
        return value.strip()


class ReportPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k_target: int = Field(default=5, ge=1)
    environment: str | None = None          # intended environment of the copy, e.g. "staging"
    recipients: str | None = None           # who receives it, e.g. "billing team; Acme QA (contractor)"
    data_owner: str | None = None
    privacy_officer: str | None = None
    pia_reference: str | None = None
    risk_acceptance: RiskAcceptance | None = None
