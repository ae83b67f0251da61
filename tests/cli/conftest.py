"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import pytest

from anonymiser.demo import build_demo_database


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo "production" database (SQLite URL), built once per test module."""
    path = tmp_path_factory.mktemp("source") / "demo.sqlite"
    build_demo_database(path, customers=50)
    return f"sqlite:///{path}"
