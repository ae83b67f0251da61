from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.source.connect import SOURCE_ENV

NAME = "scan"
HELP = """Scan a source database and write a draft policy: every column of every table gets a rule.

Each rule carries its evidence as a comment (entity, class, score, hit rate, detector); no data
value is ever printed or written. Detection runs offline: Presidio with NZ recognizers, on up to
--sample distinct values per text column, using the best installed spaCy model (or a pattern-only
blank pipeline; set ANONYMISER_SPACY_MODEL or --model to choose).

Examples:

  anonymiser scan postgresql://app@db/prod --out policy.yaml

  anonymiser scan sqlite:///prod.sqlite --out policy.yaml --sample 200
"""


@handles_errors
def command(
    source: str | None = typer.Argument(None, help=f"Source database URL (or {SOURCE_ENV}).", show_default=False),
    out: Path = typer.Option(Path("policy.yaml"), "--out", "-o", help="Where to write the draft policy."),
    sample: int = typer.Option(1000, "--sample", "-n", min=1, help="Distinct values sampled per text column."),
    schema_name: str | None = typer.Option(None, "--schema", help="Database schema to scan (default: the default)."),
    model: str | None = typer.Option(None, "--model", help="spaCy model name or path, or 'blank' (pattern-only)."),
) -> None:
    from anonymiser.detect import detect_schema, draft_policy
    from anonymiser.source.connect import connect, resolve_source_url, safe_url
    from anonymiser.source.introspect import introspect

    console = output()
    url = resolve_source_url(source)
    with connect(url) as conn:
        schema = introspect(conn, schema_name=schema_name)
        console.event("scan_start", f"scanning {len(schema.tables)} tables of {safe_url(url)} "
                      f"(up to {sample} distinct values per text column)", tables=len(schema.tables), sample=sample)
        with console.progress() as progress:
            detection = detect_schema(conn, schema, sample=sample, progress=progress, model=model)
    text = draft_policy(schema, detection, source_hint=safe_url(url))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)   # never leave a half-written policy behind
    personal = [f for f in detection.findings if f.personal]
    free_text = sum(1 for f in personal if f.free_text)
    console.event(
        "scan_done",
        f"{out}: {len(detection.findings)} columns in {len(schema.tables)} tables, {len(personal)} look personal "
        f"({free_text} free text). Model: {detection.engine.get('spacy_model')}. Review it, then run "
        f"'anonymiser check {out} --source URL'.",
        columns=len(detection.findings), personal=len(personal), free_text=free_text,
        model=detection.engine.get("spacy_model"), policy=str(out),
    )
