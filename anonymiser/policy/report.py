"""The policy's report-related settings (sign-off block, risk targets)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReportPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k_target: int = Field(default=5, ge=1)
    environment: str | None = None          # intended environment of the copy, e.g. "staging"
    data_owner: str | None = None
    privacy_officer: str | None = None
    pia_reference: str | None = None
