"""The Privacy Act 2020 (s 22) information privacy principles, each pointing at the report's evidence."""

from __future__ import annotations

from anonymiser.report.model import InventoryRow, IppRow, IppStatus, Retention
from anonymiser.verify.model import VerifyResult

_NZ_UNIQUE = ("NZ_IRD", "NZ_NHI", "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "NZ_BANK_ACCOUNT", "NZBN", "CREDIT_CARD")


def ipp_rows(inventory: list[InventoryRow], verify: VerifyResult, retention: Retention,
             environment: str | None, recipients: str | None = None) -> list[IppRow]:
    personal = [r for r in inventory if r.status != "Not personal"]
    protected = [r for r in inventory if r.status == "Protected"]
    at_risk = [r for r in inventory if r.status == "At risk"]
    justified = [r for r in inventory if r.status == "Kept with justification"]
    verdict = "PASS" if verify.passed else "FAIL"
    unique_ids = [r for r in inventory if (r.entity or "").upper() in _NZ_UNIQUE]
    unique_kept = [r for r in unique_ids if r.status != "Protected"]
    expiry = (f"the copy expires on {retention.expiry_date} ({retention.retention_days} days after the run)"
              if retention.expiry_date else "no retention period is set in the policy (retention_days)")
    ok_or: IppStatus = "met" if verify.passed else "attention"
    # Whether a principle holds for who receives the copy and why is the reviewer's call: passed gates are
    # evidence for it, not the judgement itself.
    judged: IppStatus = "reviewer" if verify.passed else "attention"
    scan = verify.leak_scan
    leaked = str(scan.leaks + scan.unchanged) if scan.ran else "not checked"
    where = environment or "an environment not named in the policy"
    to_whom = f"recipients: {recipients}" if recipients else "recipients not named in the policy (report.recipients)"
    return [
        IppRow(principle="1", title="Collect only what is necessary for a lawful purpose",
               bearing="supports masking by default (minimisation)", status=ok_or,
               evidence=f"{len(protected)} of {len(personal)} personal column(s) masked; {len(justified)} kept with a "
                        f"recorded justification; {len(at_risk)} at risk.", anchors=["inventory"]),
        IppRow(principle="2–4", title="Collect from the person, tell them, collect fairly", bearing="low",
               status="not applicable", evidence="No new collection: the copy derives from data already held.",
               anchors=[]),
        IppRow(principle="3A", title="Notify on indirect collection (from 1 May 2026)",
               bearing="a vendor or tester receiving unmasked extracts", status=judged,
               evidence=f"Recipients receive pseudonymised values only; verification verdict {verdict}; {to_whom}. "
                        "The reviewer judges whether any recipient still needs notice.",
               anchors=["verdict", "leak-scan"]),
        IppRow(principle="5", title="Reasonable security safeguards",
               bearing="masking is the safeguard for non-production copies", status=ok_or,
               evidence=f"Keyed pseudonymisation (key id in Provenance); gates: {verdict}; leaked values {leaked}.",
               anchors=["verdict", "provenance", "leak-scan"]),
        IppRow(principle="6–7", title="Access and correction",
               bearing="unmasked copies are still \"held\"; stale copies miss corrections", status="reviewer",
               evidence=f"The copy is pseudonymised personal information while the key exists; {expiry}, so it is "
                        "refreshed rather than corrected.", anchors=["retention"]),
        IppRow(principle="8", title="Check accuracy before use",
               bearing="fake values must never flow back into production decisions", status="reviewer",
               evidence="Masked values are synthetic; the copy is labelled for test use only and must not feed "
                        "production decisions.", anchors=["inventory"]),
        IppRow(principle="9", title="Keep no longer than necessary",
               bearing="expiry date of the copy; deletion of intermediates",
               status=("met" if retention.expiry_date else "attention"),
               evidence=f"{expiry[0].upper()}{expiry[1:]}. {retention.intermediates}", anchors=["retention"]),
        IppRow(principle="10", title="Use only for the purpose collected, unless an exception applies",
               bearing="testing is a secondary use; the exception for information in a form in which the "
                       "individual is not identified holds only if masking is effective", status=judged,
               evidence=f"Effectiveness evidence: verification {verdict}; residual risk measured on declared "
                        "quasi-identifiers. The reviewer judges whether the exception applies to this use.",
               anchors=["verdict", "residual-risk"]),
        IppRow(principle="11", title="Disclose only within exceptions", bearing="testers, contractors, vendors",
               status="reviewer", evidence=f"Intended environment: {where}; {to_whom}. The reviewer confirms "
                                           "the recipients.",
               anchors=["retention", "sign-off"]),
        IppRow(principle="12", title="Cross-border disclosure only with comparable safeguards",
               bearing="offshore staging, foreign cloud regions, offshore testers", status="reviewer",
               evidence=f"Intended environment: {where}. Confirm it is not offshore, or that comparable "
                        "safeguards apply.", anchors=["retention", "sign-off"]),
        IppRow(principle="13", title="Unique identifiers: assign only when necessary, protect from misuse",
               bearing="IRD, NHI, driver licence, passport numbers must never reach test data",
               status="attention" if unique_kept else "met",
               evidence=(f"{len(unique_ids)} column(s) hold NZ unique identifiers; "
                         + (f"{len(unique_kept)} not masked: "
                            + ", ".join(f"{r.table}.{r.column}" for r in unique_kept) if unique_kept
                            else "all replaced by fakes (format and check digits preserved)")),
               anchors=["inventory", "leak-scan"]),
    ]
