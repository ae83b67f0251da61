from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.mask.keys import KEY_ENV, key_forms
from anonymiser.mask.registry import strategy_table
from anonymiser.pipeline import prepare, warn_outside_foreign_keys
from anonymiser.plan import validate_rules
from anonymiser.policy import load_policy
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

  anonymiser check policy.yaml --strategies   (also list which strategies fit each column type)

A rule whose strategy cannot mask its column's type (an e-mail fake on an ENUM, anything but keep,
null or redact on a blob) is refused, listing the strategies that fit. --strategies prints that list
for every column type of the source (or for every type, without a source) before any data is read:
ENUM and SET columns take keep, null or member; an array takes keep or null whole, and any strategy
of its elements' type element by element; JSON takes json (json_paths) besides keep and null.
"""


@handles_errors
def command(
    policy: Path = typer.Argument(..., help="The policy YAML file.", show_default=False),
    source: str | None = typer.Option(None, "--source", "-s", help=f"Source database URL (or {SOURCE_ENV})."),
    strategies: bool = typer.Option(False, "--strategies",
                                    help="List the strategies that fit each column type (of the source)."),
) -> None:
    loaded = load_policy(policy)
    validate_rules(loaded)
    loaded.refuse_secret(key_forms(), KEY_ENV)
    console = output()
    url = source or os.environ.get(SOURCE_ENV) or loaded.policy.source
    if not url:
        rules = sum(len(t.columns) for t in loaded.policy.tables.values())
        fits = strategy_table(None) if strategies else []
        if console.json:
            console.result({"event": "checked", "policy": str(policy), "valid": True, "rules": rules,
                            "drift_checked": False, **_strategies_json(fits, strategies)})
            return
        console.out.print(f"{policy}: valid ({rules} rules). No source given: drift not checked "
                          f"(pass --source or set {SOURCE_ENV}).")
        _print_strategies(fits, "each", strategies)
        return
    with connect(url) as conn:
        schema, plan = prepare(conn, loaded)
    warn_outside_foreign_keys(schema, console.event)
    columns = sum(len(t.columns) for t in plan.tables.values())
    notes = read_as_text_notes(plan.schema)   # values that do not fit the declared type (docs/types.md)
    fits = strategy_table([(f"{t.name}.{c.name}", c) for t in plan.schema.tables.values() for c in t.columns]) \
        if strategies else []
    if console.json:
        console.result({"event": "checked", "policy": str(policy), "valid": True, "drift_checked": True,
                        "tables": len(plan.tables), "columns": columns, "notes": notes,
                        **_strategies_json(fits, strategies)})
        return
    console.out.print(f"{policy}: valid and complete: every one of {columns} columns in {len(plan.tables)} tables "
                      "has a rule; no drift.")
    for note in notes:
        console.out.print(f"note: {note}")
    _print_strategies(fits, "this source's", strategies)


Fits = list[tuple[str, list[str], list[str]]]


def _strategies_json(fits: Fits, wanted: bool) -> dict[str, Any]:
    if not wanted:
        return {}
    return {"strategies": [{"column_type": label, "strategies": fitting, "columns": names}
                           for label, fitting, names in fits]}


def _print_strategies(fits: Fits, where: str, wanted: bool) -> None:
    if not wanted:
        return
    console = output()
    console.out.print(f"Strategies that fit {where} column types (arrays: keep and null take the whole array, "
                      "the others mask it element by element):", markup=False)
    for label, fitting, names in fits:
        shown = f" ({', '.join(names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''})" if names else ""
        console.out.print(f"  {label}{shown}: {', '.join(fitting)}", markup=False)
