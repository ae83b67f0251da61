"""The compliance report as one pydantic model: the JSON is this model, HTML and Markdown render it.

``REPORT_SCHEMA_VERSION`` follows semantic versioning: a new optional field is a minor bump, a
renamed or removed field a major one. ``schema/report.schema.json`` is generated from this model
(``python -m anonymiser.report.schema_file``) and a test keeps the two identical.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from anonymiser.policy.report import RiskAcceptance
from anonymiser.verify.model import VerifyResult

REPORT_SCHEMA_VERSION = "1.1.0"
SCHEMA_ID = f"https://anonymiser.invalid/schema/report/{REPORT_SCHEMA_VERSION}/report.schema.json"

Status = Literal["Protected", "At risk", "Not personal", "Kept with justification"]
IppStatus = Literal["met", "attention", "not applicable", "reviewer"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutputFile(_Model):
    path: str
    sha256: str
    bytes: int


class Provenance(_Model):
    run_id: str
    started_at: str
    finished_at: str | None = None
    run_by: str | None = None
    host: str | None = None
    tool_version: str | None = None
    presidio_version: str | None = None
    spacy_model: str | None = None
    faker_version: str | None = None
    tool_versions: dict[str, str] = Field(default_factory=dict)
    detection_engine: str | None = None
    policy_path: str | None = None
    policy_sha256: str | None = None
    key_id: str
    demo_key: bool = False
    key_statement: str
    source_dialect: str
    source_database: str | None = None
    source_schema_hash: str
    sampling: str
    seed: int | None = None
    files: list[OutputFile] = Field(default_factory=list)


class InventoryRow(_Model):
    table: str
    column: str
    sql_type: str | None = None
    classification: str
    entity: str | None = None
    detector: str | None = None
    confidence: float | None = None
    hit_rate: float | None = None
    rule: str
    technique: str
    deterministic: bool
    format_preserving: bool
    status: Status
    justification: str | None = None


class SubsetTable(_Model):
    table: str
    source_rows: int | None = None
    output_rows: int


class SubsetSection(_Model):
    method: str
    seed: int | None = None
    roots: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    tables: list[SubsetTable] = Field(default_factory=list)
    foreign_keys_checked: int = 0
    orphans: int = 0


class ClassSizeBucket(_Model):
    label: str
    classes: int
    records: int


class RiskTable(_Model):
    table: str
    quasi_identifiers: list[str]
    sensitive_attributes: list[str] = Field(default_factory=list)
    records: int
    classes: int
    k: int | None = None
    records_below_k_target: int = 0
    share_below_k_target: float = 0.0
    unique_records: int = 0
    uniqueness: float = 0.0
    l_diversity: dict[str, int] = Field(default_factory=dict)
    prosecutor_risk_max: float | None = None
    prosecutor_risk_avg: float | None = None
    buckets: list[ClassSizeBucket] = Field(default_factory=list)
    sentence: str = ""
    accepted: bool = False          # records below the target, covered by the policy's risk acceptance


class RiskSection(_Model):
    k_target: int
    acceptance: RiskAcceptance | None = None    # the policy's report.risk_acceptance, shown beside the figures
    tables: list[RiskTable] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class IppRow(_Model):
    principle: str                    # "1", "2–4", "3A", ...
    title: str
    bearing: str
    status: IppStatus
    evidence: str
    anchors: list[str] = Field(default_factory=list)   # section ids of the report


class Retention(_Model):
    run_date: str
    retention_days: int | None = None
    expiry_date: str | None = None
    environment: str | None = None
    intermediates: str
    breach_note: str


class Exception_(_Model):
    table: str
    column: str
    reason: str


class SignOff(_Model):
    data_owner: str | None = None
    privacy_officer: str | None = None
    pia_reference: str | None = None
    environment: str | None = None      # where the copy goes (policy report.environment): the reviewer signs for it
    recipients: str | None = None       # who receives it (policy report.recipients)
    exceptions: list[Exception_] = Field(default_factory=list)


class Report(_Model):
    schema_version: str = REPORT_SCHEMA_VERSION
    generated_at: str
    title: str
    verdict: Literal["PASS", "FAIL"]
    summary: str
    pseudonymisation_notice: str
    verification: VerifyResult
    provenance: Provenance
    inventory: list[InventoryRow]
    status_counts: dict[str, int]
    subset: SubsetSection
    residual_risk: RiskSection
    leak_scan_method: list[str]
    ipp: list[IppRow]
    retention: Retention
    signoff: SignOff
