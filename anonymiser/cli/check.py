from __future__ import annotations

import os
from pathlib import Path

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.pipeline import prepare
from anonymiser.plan import validate_rules
from anonymiser.policy import load_policy
from anonymiser.policy.load import LoadedPolicy
from anonymiser.source.catalog import read_as_text_notes
from anonymiser.source.connect import SOURCE_ENV, connect

NAME = "check"
HELP = """Validate a policy and, against a live source, report drift.

Drift is any column or table with no rule, any rule for a column or table that no longer exists,
and any foreign key whose rule disagrees with its parent's. Exits 2 on any problem, naming the
column and the rule to add, so a monthly job stops before it copies an unreviewed column.

Examples:

  anonymiser check policy.yaml --source postgresql://app@db/prod

  anonymiser check policy.yaml          (the file only, when no source is configured)
"""


@handles_errors
def command(
    policy: Path = typer.Argument(..., help="The policy YAML file.", show_default=False),
    source: str | None = typer.Option(None, "--source", "-s", help=f"Source database URL (or {SOURCE_ENV})."),
) -> None:


    loaded = load_policy(policy)
    validate_rules(loaded)
    console = output()
    url = source or os.environ.get(SOURCE_ENV) or loaded.policy.source
    if not url:
        console.out.print(f"{policy}: valid ({_count(loaded)} rules). No source given: drift not checked "
                          f"(pass --source or set {SOURCE_ENV}).")
        return
    with connect(url) as conn:
        _, plan = prepare(conn, loaded)
    columns = sum(len(t.columns) for t in plan.tables.values())
    console.out.print(f"{policy}: valid and complete: every one of {columns} columns in {len(plan.tables)} tables "
                      "has a rule; no drift.")

    for note in read_as_text_notes(plan.schema):   # values that do not fit the declared type (docs/types.md)
        console.out.print(f"note: {note}")


def _count(loaded: object) -> int:
    assert isinstance(loaded, LoadedPolicy)
    return sum(len(t.columns) for t in loaded.policy.tables.values())
