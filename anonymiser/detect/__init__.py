"""PII detection: offline Presidio + NZ recognizers, column classification, and the draft policy.

Heavy libraries (Presidio, spaCy) load on first use, not on import of this package.
"""

from __future__ import annotations

from anonymiser.detect.classify import detect_schema, suggest_rule
from anonymiser.detect.draft import draft_policy
from anonymiser.detect.model import ColumnFinding, DetectionResult

__all__ = ["ColumnFinding", "DetectionResult", "detect_schema", "draft_policy", "suggest_rule"]
