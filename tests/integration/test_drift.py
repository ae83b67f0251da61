"""A column added to the source after the policy was written stops check and run (fail closed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from anonymiser.source.connect import normalise_url
from tests.cli_runner import anonymiser, assert_clean_failure

SETUP = [
    "CREATE TABLE client (id INTEGER PRIMARY KEY, email VARCHAR(120) NOT NULL, tier VARCHAR(10))",
    "INSERT INTO client VALUES (1, 'aroha.ngata@example.co.nz', 'gold'), (2, 'sione.taufa@example.co.nz', 'silver')",
]
POLICY = (
    "version: 1\ntables:\n  client:\n    columns:\n"
    "      id: keep\n      email: { mask: email }\n      tier: keep\n"
)


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url", "mariadb_url"])
def test_new_column_stops_check_and_run_naming_it_and_a_rule(fixture: str, request: pytest.FixtureRequest,
                                                             tmp_path: Path) -> None:
    url = request.getfixturevalue(fixture)
    _execute(url, *SETUP)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    assert anonymiser("check", str(policy), "--source", url).returncode == 0

    _execute(url, "ALTER TABLE client ADD COLUMN ird_number VARCHAR(11)",
             "ALTER TABLE client ADD COLUMN mobile_phone VARCHAR(20)")
    for args in (["check", str(policy), "--source", url],
                 ["run", str(policy), "--source", url, "--out", str(tmp_path / "out")]):
        text = assert_clean_failure(anonymiser(*args), 2)
        assert "client.ird_number" in text and "client.mobile_phone" in text
        assert "ird_number: nz_ird" in text      # the rule to add, from the column's name
        assert "mobile_phone: phone" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url"])
def test_a_vanished_column_or_table_is_drift_too(fixture: str, request: pytest.FixtureRequest,
                                                 tmp_path: Path) -> None:
    url = request.getfixturevalue(fixture)
    _execute(url, *SETUP)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY + "  archive:\n    columns:\n      id: keep\n")
    text = assert_clean_failure(anonymiser("check", str(policy), "--source", url), 2)
    assert "table 'archive' is in the policy but not in the source" in text
