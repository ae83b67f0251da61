"""How long work reports progress: ``progress(label, done, total, unit)``; counts only, never a value.

``unit`` says what is counted ("rows" unless given: "tables", "columns", "values"), so a log line
without a TTY reads "scan: 4 of 10 tables", not a bare number.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, label: str, done: int, total: int | None, unit: str = "rows") -> None: ...
