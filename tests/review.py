"""What a reviewer adds to a drafted policy before the copy may pass: an acceptance of its residual risk.

``scan`` lists quasi-identifiers, and on the sample databases they leave records below k = 5, so an
unreviewed draft fails verification (reason ``k_anonymity_below_target``) until someone accepts that.
"""

from __future__ import annotations

from pathlib import Path

ACCEPTANCE = """\
report:
  risk_acceptance:
    reviewer: "Test Reviewer"
    reason: "Sample database with fictional people, used by the test suite."
"""


def accept_residual_risk(policy: Path) -> None:
    text = policy.read_text("utf-8")
    assert "\nreport:" not in text, "the policy already has a report section: edit it instead"
    policy.write_text(text + ACCEPTANCE, "utf-8")
