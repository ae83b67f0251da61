"""Render the report model to ``report/report.{json,md,html}``, each file written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from anonymiser.redact import scrub
from anonymiser.report.charts import class_size_chart, coverage_bar
from anonymiser.report.model import Report

REPORT_DIR = "report"
NAMES = ("report.json", "report.md", "report.html")


def _environment(autoescape: bool) -> Any:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("anonymiser.report", "templates"),
        autoescape=autoescape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=False, lstrip_blocks=False,
    )
    # Markdown table cells: no pipes or line breaks from names or policy text.
    env.filters["md"] = lambda text: str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return env


def to_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def to_markdown(report: Report) -> str:
    return str(_environment(autoescape=False).get_template("report.md.j2").render(r=report))


def to_html(report: Report) -> str:
    k = report.residual_risk.k_target
    charts = {"coverage": coverage_bar(report.status_counts),
              "risk": {t.table: class_size_chart(t, k) for t in report.residual_risk.tables}}
    return str(_environment(autoescape=True).get_template("report.html.j2").render(r=report, charts=charts))


def _atomic_write(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(directory: Path, report: Report, *, names: tuple[str, ...] = NAMES) -> list[Path]:
    folder = Path(directory) / REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    render = {"report.json": to_json, "report.md": to_markdown, "report.html": to_html}
    # scrub: a policy's reason or a failure's message could quote a password or the masking key.
    texts = {name: scrub(render[name](report)) for name in names}
    paths = []
    for name in names:
        path = folder / name
        _atomic_write(path, texts[name])
        paths.append(path)
    return paths
