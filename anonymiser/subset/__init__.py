"""Subsetting: sample root tables and follow foreign keys so every kept row's parents are kept.

Names are imported on first use (PEP 562): the policy model needs only ``config``, and loading the
engine would pull SQLAlchemy and Arrow into every CLI start.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ChildRule": "config", "RootSpec": "config", "SubsetPolicy": "config", "VirtualForeignKey": "config",
    "compute_subset": "engine", "describe": "engine", "virtual_foreign_keys": "graph",
    "RowFilter": "result", "SubsetResult": "result",
    "default_batch_size": "sql", "filter_clauses": "sql", "iter_key_batches": "sql", "key_batch_clause": "sql",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
