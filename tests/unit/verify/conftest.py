"""Fixtures shared by the verification tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

import pytest

from anonymiser import forked

T = TypeVar("T")


@pytest.fixture
def forked_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The qualified names of the functions run in a forked process of their own (``forked.beside``), in order."""
    names: list[str] = []
    beside = forked.beside

    def counted(function: Callable[[], T]) -> AbstractContextManager[Callable[[], T]]:
        names.append(function.__qualname__)
        return beside(function)

    monkeypatch.setattr(forked, "beside", counted)
    return names
