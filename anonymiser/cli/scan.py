from __future__ import annotations

from pathlib import Path

import typer

from anonymiser.cli.common import Output, handles_errors, output
from anonymiser.detect.update import NEW_MARK, Update
from anonymiser.errors import ConfigError
from anonymiser.pipeline import scan
from anonymiser.policy.load import load_policy
from anonymiser.source.connect import SOURCE_ENV, resolve_source_url

NAME = "scan"
HELP = """Scan a source database and write a draft policy: every column of every table gets a rule.

Each rule carries its evidence as a comment (entity, class, score, hit rate, detector); no data
value is ever printed or written. Detection runs offline: Presidio with NZ recognizers, on up to
--sample distinct values per text column, using the best installed spaCy model (or a pattern-only
blank pipeline; set ANONYMISER_SPACY_MODEL or --model to choose).

An existing policy is never overwritten silently: --out refuses an existing file unless --force.
--update POLICY is the monthly drift workflow: it adds a rule, marked '# NEW: review', for every
column or table the policy does not cover yet, and keeps every reviewed rule and comment as it is.

Examples:

  anonymiser scan postgresql://app@db/prod --out policy.yaml

  anonymiser scan sqlite:///prod.sqlite --out policy.yaml --sample 200

  anonymiser scan postgresql://app@db/prod --update policy.yaml
"""


@handles_errors
def command(
    source: str | None = typer.Argument(None, help=f"Source database URL (or {SOURCE_ENV}).", show_default=False),
    out: Path = typer.Option(Path("policy.yaml"), "--out", "-o", help="Where to write the draft policy."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    update: Path | None = typer.Option(None, "--update", help="Add rules for new columns to this reviewed policy.",
                                       show_default=False),
    sample: int = typer.Option(1000, "--sample", "-n", min=1, help="Distinct values sampled per text column."),
    schema_name: str | None = typer.Option(None, "--schema", help="Database schema to scan (default: the default)."),
    model: str | None = typer.Option(None, "--model", help="spaCy model name or path, or 'blank' (pattern-only)."),
) -> None:

    console = output()
    loaded = None
    if update is not None:
        loaded = load_policy(update)          # a broken policy is reported before connecting
        schema_name = schema_name or loaded.policy.schema_name
    elif out.exists() and not force:
        raise ConfigError(f"{out} already exists; scan never overwrites a policy silently", file=str(out),
                          hint=f"Use --update {out} to add rules for new columns and keep the reviewed ones, "
                               "--out NEW.yaml for a fresh draft, or --force to overwrite it.")
    url = resolve_source_url(source, loaded.policy.source if loaded else None)
    with console.progress() as progress:
        result = scan(url, schema_name=schema_name, sample=sample, model=model, update=loaded, progress=progress,
                      event=console.event)
    if update is not None and result.update is not None:
        _write_update(console, update, result.update)
        return
    _atomic_write(out, result.policy_text)
    detection = result.detection
    personal = [f for f in detection.findings if f.personal]
    free_text = sum(1 for f in personal if f.free_text)
    console.event(
        "scan_done",
        f"{out}: {len(detection.findings)} columns in {len(result.schema.tables)} tables, {len(personal)} look "
        f"personal ({free_text} free text). Model: {detection.engine.get('spacy_model')}. Review it, then run "
        f"'anonymiser check {out} --source URL'.",
        columns=len(detection.findings), personal=len(personal), free_text=free_text,
        model=detection.engine.get("spacy_model"), policy=str(out),
    )


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)   # never leave a half-written policy behind


def _write_update(console: Output, path: Path, result: Update) -> None:
    if result.added:
        _atomic_write(path, result.text)
    if result.vanished:
        console.warn(f"{len(result.vanished)} ruled column(s) are no longer in the source and were left as they are: "
                     f"{', '.join(result.vanished)}", vanished=result.vanished)
    message = (f"{path}: added {len(result.added)} rule(s) marked '# {NEW_MARK}': {', '.join(result.added)}. "
               f"Review them, then run 'anonymiser check {path} --source URL'." if result.added
               else f"{path}: every source column already has a rule; nothing changed.")
    console.event("scan_update", message, added=result.added, vanished=result.vanished, policy=str(path))
