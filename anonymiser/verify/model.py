"""What verification found: gates with figures, and every failure with a reason code.

Plain data (pydantic, JSON round trip): it is embedded in ``report.json`` and re-read by
``anonymiser report``. It holds names, counts and hashes only, never a value.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GateId = Literal["at_risk", "leaks", "orphans", "duplicates", "drift", "redetection", "residual_risk", "files"]
# "accepted": the figure is not 0, and the policy records a reviewer's acceptance (residual risk only).
GateStatus = Literal["pass", "accepted", "fail", "not_run"]

# Reason codes (stable: scripts and the report's JSON consumers match on them).
KEPT_PERSONAL = "kept_personal_unjustified"     # detected personal, kept, no reason in the policy
UNRULED_COLUMN = "unruled_column"               # source column with no rule (schema drift)
LEAKED_VALUE = "leaked_value"                   # a high-entropy source value found in the output
UNCHANGED_VALUE = "unchanged_value"             # masked column holds its source value in the same row
ORPHAN_FK = "orphan_foreign_key"                # child rows whose parent is missing from the output
DUPLICATE_UNIQUE = "duplicate_in_unique_column"  # a source-unique column (set) repeats in the output
REDETECTED = "redetected_personal"              # detectors find personal data in a kept output column
FILE_MISMATCH = "file_checksum_mismatch"        # an output file differs from manifest.json (or is missing)
NOT_VERIFIED = "leak_scan_not_run"              # no source connection: no proof, so no PASS
MANIFEST_TAMPERED = "manifest_tampered"         # the output differs from what the run signed (manifest.sig)
MANIFEST_NOT_AUTHENTICATED = "manifest_not_authenticated"   # no key to check the signature with
UNREADABLE_OUTPUT = "unreadable_output"         # a data file that failed its checksum cannot even be read
K_BELOW_TARGET = "k_anonymity_below_target"     # quasi-identifiers leave records below report.k_target, unaccepted
DETECTOR_UNAVAILABLE = "detector_unavailable"   # the re-detection recognizers could not be loaded: no proof

GATE_TITLES: dict[str, str] = {
    "at_risk": "Columns at risk (personal, kept unmasked without a recorded justification)",
    "leaks": "Leaked values (source values of masked columns found in the output)",
    "orphans": "Orphaned foreign keys in the output",
    "duplicates": "Duplicates in columns that are unique in the source",
    "drift": "Schema drift since the policy was written (unruled columns)",
    "redetection": "Personal data re-detected in kept output columns",
    "residual_risk": "Records below the k-anonymity target on the quasi-identifiers (unless a reviewer accepted it)",
    "files": "Output files that differ from manifest.json",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Failure(_Model):
    reason: str
    gate: GateId
    table: str | None = None
    column: str | None = None        # comma-joined for composite keys
    count: int = 0
    message: str                     # names and counts only

    @property
    def reason_code(self) -> str:
        """Same as ``reason`` (the name AnonymiserError uses)."""
        return self.reason


class Gate(_Model):
    id: GateId
    title: str
    figure: int | None               # None when the gate could not run
    status: GateStatus
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "accepted")


class ForeignKeyCheck(_Model):
    table: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    rows_checked: int
    orphans: int
    virtual: bool = False


class UniqueCheck(_Model):
    table: str
    columns: list[str]
    rows_checked: int
    duplicates: int


class LeakColumn(_Model):
    """One masked source column whose values were hashed and searched for."""

    table: str
    column: str
    value_class: Literal["identifier", "composite", "dictionary", "default"]
    distinct_values: int             # distinct normalised non-empty source values hashed
    strict_values: int               # of those, how many count as a leak wherever they appear
    hits_strict: int = 0             # output cells (or free-text n-grams) holding a strict value
    coincidences: int = 0            # output cells holding a dictionary value elsewhere (reported only)
    unchanged_same_row: int = 0      # rows where the output still holds this row's source value
    same_row_checked: bool = False   # False when the primary key is masked (rows cannot be aligned)


class LeakHit(_Model):
    """Where matches were found: counts per (output column, source column, kind)."""

    table: str
    column: str
    source_table: str
    source_column: str
    kind: Literal["leak", "coincidence", "unchanged"]
    count: int
    in_free_text: bool = False


class LeakScan(_Model):
    ran: bool
    hash_function: str = "SipHash-2-4 (64-bit) keyed with a random per-run key, discarded after the scan"
    source_rows_read: int = 0
    values_checked: int = 0           # distinct normalised source values hashed
    output_cells_scanned: int = 0
    free_text_ngrams_scanned: int = 0
    leaks: int = 0
    coincidences: int = 0
    unchanged: int = 0
    columns: list[LeakColumn] = Field(default_factory=list)
    hits: list[LeakHit] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)      # "table.column (keep: reason)"
    free_text_columns: list[str] = Field(default_factory=list)


class Redetection(_Model):
    table: str
    column: str
    entity: str | None = None
    classification: str | None = None
    detector: str | None = None
    score: float | None = None
    hit_rate: float | None = None
    sampled: int = 0
    justified: bool = False


class RedetectionSummary(_Model):
    ran: bool
    engine: str | None = None
    columns_checked: int = 0
    findings: list[Redetection] = Field(default_factory=list)
    note: str = ""


class VerifyResult(_Model):
    verify_version: int = 1
    verified_at: str
    source_checked: bool
    passed: bool
    gates: list[Gate]
    failures: list[Failure] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyCheck] = Field(default_factory=list)
    unique: list[UniqueCheck] = Field(default_factory=list)
    leak_scan: LeakScan
    redetection: RedetectionSummary
    unruled_columns: list[str] = Field(default_factory=list)   # "table.column"
    at_risk_columns: list[str] = Field(default_factory=list)   # "table.column"

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def failures_for(self, gate: str) -> list[Failure]:
        return [f for f in self.failures if f.gate == gate]
