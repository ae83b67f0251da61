"""F17: what the reviewer signs. IPP 3A and 10 are the reviewer's judgement even when every gate passed;
the sign-off names the environment and the recipients from the policy's report: block (blanks to fill in
when the policy names none); the report JSON follows its shipped schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from anonymiser.report.schema_file import shipped
from tests.cli_runner import anonymiser

DEMO_POLICY = Path("policies/demo.yaml").resolve()



@pytest.mark.parametrize(("recipients", "signoff_line"), [
    ("billing team; Acme QA (contractor)", "Environment / recipients: demo / billing team; Acme QA (contractor)"),
    (None, "Environment / recipients: demo / ________"),
], ids=["named", "blank-to-fill-in"])
def test_signoff_and_ipp_judgement(tmp_path: Path, demo_source: str, recipients: str | None,
                                   signoff_line: str) -> None:
    text = DEMO_POLICY.read_text("utf-8")
    if recipients:
        text = text.replace("  environment: demo\n", f"  environment: demo\n  recipients: \"{recipients}\"\n")
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    policy.write_text(text, "utf-8")
    result = anonymiser("run", str(policy), "--source", demo_source, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report" / "report.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(shipped()).validate(report)
    assert report["verdict"] == "PASS"
    status = {row["principle"]: row["status"] for row in report["ipp"]}
    assert status["3A"] == status["10"] == "reviewer"          # not "met", though every gate passed
    assert status["5"] == "met"
    assert report["signoff"]["environment"] == "demo" and report["signoff"]["recipients"] == recipients
    markdown = (out / "report" / "report.md").read_text("utf-8")
    html = (out / "report" / "report.html").read_text("utf-8")
    assert signoff_line in markdown
    assert signoff_line.replace("&", "&amp;") in html
    ipp_3a = next(line for line in markdown.splitlines() if line.startswith("| 3A |"))
    assert "| reviewer judgement |" in ipp_3a
    assert html.count(">reviewer judgement<") >= 6      # 3A, 6-7, 8, 10, 11, 12
