from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.report import render_from_json
from anonymiser.write.outdir import private_files

NAME = "report"
HELP = """Re-render the compliance report (HTML, Markdown) from DIR/report/report.json.

Nothing is re-checked: use 'anonymiser verify DIR --source URL' for that.

Example:

  anonymiser report masked/
"""


@handles_errors
def command(
    directory: Path = typer.Argument(..., help="An output directory holding report/report.json.",
                                     show_default=False),
) -> None:

    with private_files():
        paths = render_from_json(directory)
    if output().json:
        output().result({"event": "report_rendered", "files": [str(p) for p in paths]})
        return
    for path in paths:
        output().out.print(f"wrote {path}")
