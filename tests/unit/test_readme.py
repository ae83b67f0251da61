"""The README's strategy table is generated from the registry, so it cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from anonymiser.mask import registry

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_strategy_table_is_generated_from_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    assert registry.with_markdown_table(text) == text, (
        "README.md's strategy table is stale: run '.venv/bin/python scripts/strategy_table.py'")


def test_the_table_lists_every_strategy_with_its_own_description() -> None:
    rows = registry.markdown_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [cls.name for cls in registry.classes()]
    email = next(r for r in rows if r.startswith("| `email` |"))
    assert registry.get("email").summary in email and registry.get("email").technique in email
