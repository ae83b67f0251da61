from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.cli.run import run_and_report
from anonymiser.demo import build_demo_database, draft_demo_policy
from anonymiser.mask.keys import DEMO_KEY
from anonymiser.write.outdir import OutputDir

NAME = "demo"
HELP = """Build a small NZ "production" database in SQLite, then scan, run, verify and report on it.

No server and no key set-up: the demo uses a public, clearly labelled demo key (never use it for
real data: 'anonymiser run' refuses to start without your own ANONYMISER_KEY).

Example:  anonymiser demo --out out/
"""


@handles_errors
def command(
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Output directory."),
    keep_source: Path | None = typer.Option(None, "--keep-source",
                                            help="Also keep the demo 'production' SQLite database at this path."),
) -> None:

    OutputDir(out, "check").check()   # refuse a directory that is not ours before building anything
    console = output()
    with tempfile.TemporaryDirectory(prefix="anonymiser-demo-") as tmp:
        database = keep_source or Path(tmp) / "demo-production.sqlite"
        database.parent.mkdir(parents=True, exist_ok=True)
        counts = build_demo_database(database)
        url = f"sqlite:///{database.resolve()}"
        console.event("demo_source", f"Demo source built: {sum(counts.values()):,} rows in {len(counts)} tables "
                                     "(made-up NZ customers, staff, orders, support tickets).",
                      tables=len(counts), rows=sum(counts.values()))
        with console.progress() as progress:
            loaded = draft_demo_policy(url, Path(tmp), progress)
        console.event("demo_scanned", "Scanned the source and drafted a complete policy; the demo adds its own "
                                      "acceptance of the residual risk (made-up people). Saved in the output as "
                                      "policy.yaml.")
        run_and_report(loaded, url, out, formats="parquet,sql", dialect="sqlite", chunk_rows=50_000, key=DEMO_KEY,
                       demo_key=True)
