"""How long work reports progress: ``progress(label, done, total, unit)``; counts only, never a value.

``unit`` says what is counted ("rows" unless given: "tables", "columns", "values"), so a log line
without a TTY reads "scan: 4 of 10 tables", not a bare number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# How work reports what happened: ``event(name, message, **fields)`` (names and counts, never a value).
Event = Callable[..., None]


class Progress(Protocol):
    def __call__(self, label: str, done: int, total: int | None, unit: str = "rows") -> None: ...


def silent(label: str, done: int, total: int | None, unit: str = "rows") -> None:
    """Progress not shown: a forked process does not draw on the terminal (its parent reports the work, once done)."""
