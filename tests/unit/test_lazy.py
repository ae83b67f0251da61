"""``lazy_import``: nothing imported until used, and one copy of every submodule afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest

from anonymiser.lazy import lazy_import

PROBE = """
import sys
from anonymiser.lazy import lazy_import
sa = lazy_import("sqlalchemy")
assert "sqlalchemy" not in sys.modules, "imported before use"
from sqlalchemy.exc import IntegrityError          # as factory_boy does, before anything touched sa
assert sa.exc.IntegrityError is IntegrityError, "two copies of sqlalchemy.exc"
assert sys.modules["sqlalchemy.exc"] is sa.exc
engine = sa.create_engine("sqlite://")
try:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM missing")
except sa.exc.DBAPIError:
    print("caught")
"""


def test_a_submodule_imported_directly_is_the_one_the_package_uses() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "caught", result.stdout + result.stderr


def test_an_already_imported_module_is_returned_and_a_missing_one_refused() -> None:
    assert lazy_import("json") is sys.modules["json"]
    with pytest.raises(ModuleNotFoundError, match="no_such_module_here"):
        lazy_import("no_such_module_here")
