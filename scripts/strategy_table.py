#!/usr/bin/env python3
"""Rewrite the README's strategy table from the strategies' own descriptions (mask/registry.py).

Usage: .venv/bin/python scripts/strategy_table.py          (tests/unit/test_readme.py fails when it is stale)
"""

from __future__ import annotations

from pathlib import Path

from anonymiser.mask import registry

README = Path(__file__).resolve().parents[1] / "README.md"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    updated = registry.with_markdown_table(text)
    if updated != text:
        README.write_text(updated, encoding="utf-8")
    print(f"{README}: {'updated' if updated != text else 'already up to date'} ({len(registry.names())} strategies)")
