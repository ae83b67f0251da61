"""The compliance report: one model, rendered as HTML, Markdown and JSON.

``build_report`` assembles it from ``manifest.json`` and a ``VerifyResult``; ``write_report``
writes ``DIR/report/report.{json,md,html}``; ``render_from_json`` re-renders from the JSON alone.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from anonymiser.errors import OutputError
from anonymiser.report.build import build_report as build
from anonymiser.report.model import Report
from anonymiser.report.render import REPORT_DIR, write_all
from anonymiser.verify.model import VerifyResult
from anonymiser.write.manifest import Manifest

__all__ = ["build_report", "read_report", "render_from_json", "write_report"]


def build_report(directory: Path, manifest: Manifest, verify: VerifyResult) -> Report:
    return build(Path(directory), manifest, verify)


def write_report(directory: Path, report: Report) -> list[Path]:
    """``report/report.{json,md,html}`` under ``directory``, each written atomically."""

    return write_all(Path(directory), report)


def read_report(directory: Path) -> Report:
    """``DIR/report/report.json``, validated against the model (not yet authenticated: see ``cli/report.py``)."""
    path = Path(directory) / REPORT_DIR / "report.json"
    if not path.is_file():
        raise OutputError(f"no {REPORT_DIR}/report.json in {directory}",
                          hint="Run 'anonymiser verify DIR --source URL' to build the report first.")
    try:
        return Report.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise OutputError(f"{path} does not match this version's report schema ({exc.error_count()} problem(s))",
                          hint="Re-create it with 'anonymiser verify DIR --source URL'.") from None


def render_from_json(directory: Path, report: Report) -> list[Path]:
    """Re-render the HTML and Markdown from the (authenticated) ``report.json``, which is left as signed."""
    return write_all(Path(directory), report, names=("report.md", "report.html"))
