"""docs/types.md states which strategies fit which column type: the table must be the registry's own."""

from __future__ import annotations

import re
from pathlib import Path

from anonymiser.mask import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "types.md"


def test_the_strategy_table_in_docs_types_is_generated_from_the_registry() -> None:
    expected = "\n".join(f"| {label} | {', '.join(fit)} |" for label, fit, _ in registry.strategy_table())
    table = r"<!-- strategy-table:[^\n]*-->\n\| column type.*?\n\|---\|---\|\n(.*?)\n<!-- strategy-table: end"
    block = re.search(table, DOC.read_text("utf-8"), flags=re.S)
    assert block is not None, "docs/types.md lost its strategy table markers"
    assert block.group(1) == expected, f"docs/types.md is out of date; the table is now:\n{expected}"
