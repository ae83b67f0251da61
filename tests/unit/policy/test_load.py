from __future__ import annotations

from pathlib import Path

import pytest

from anonymiser.errors import PolicyError
from anonymiser.policy import parse_policy
from anonymiser.policy.model import ColumnRule

GOOD = """\
version: 1
source: ${ANONYMISER_SOURCE_URL}
tables:
  customer:
    columns:
      id: keep
      email: { mask: email, unique: true }
      notes: { mask: free_text, reason: "tickets" }
      date_of_birth: { mask: date_shift, max_days: 180 }
quasi_identifiers: [customer.date_of_birth]
retention_days: 35
"""


def test_a_valid_policy_parses_rules_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANONYMISER_SOURCE_URL", "sqlite:///x.db")
    loaded = parse_policy(GOOD, Path("p.yaml"))
    columns = loaded.policy.tables["customer"].columns
    assert columns["id"] == ColumnRule(mask="keep")
    assert columns["email"] == ColumnRule(mask="email", unique=True)
    assert columns["date_of_birth"].options == {"max_days": 180}
    assert columns["notes"].reason == "tickets"
    assert loaded.policy.source == "sqlite:///x.db"
    assert loaded.line_of("tables", "customer", "columns", "email") == 7
    assert len(loaded.sha256) == 64


def test_an_unset_source_variable_is_not_an_error_until_the_source_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANONYMISER_SOURCE_URL", raising=False)
    loaded = parse_policy(GOOD, Path("p.yaml"))
    assert loaded.policy.source is None
    assert loaded.unresolved_source == "ANONYMISER_SOURCE_URL"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        pytest.param("version: 1\ntables:\n  c:\n    columns:\n      email: {mask: email\n", 5, "not valid YAML",
                     id="unclosed-brace"),
        pytest.param("version: 1\ntables:\n\tc: {}\n", 3, "not valid YAML", id="tab-indent"),
        pytest.param("version: 1\ntabels: {}\n", 2, "Did you mean 'tables'", id="misspelt-top-level-key"),
        pytest.param("version: 1\ntables:\n  c:\n    colums: {}\n", 4, "Did you mean 'columns'", id="misspelt-key"),
        pytest.param("version: 1\ntables:\n  c:\n    columns:\n      email: {unique: true}\n", 5, "needs 'mask:",
                     id="rule-without-mask"),
        pytest.param("version: 2\n", 1, "policy version 1", id="unknown-version"),
        pytest.param("version: 1\nquasi_identifiers: [dob]\n", 2, "'table.column'", id="unqualified-qi"),
        pytest.param("version: 1\nsource: postgresql://u:hunter2@db/prod\n", 2, "contains a password",
                     id="password-in-policy"),
        pytest.param("version: 1\nsubset:\n  roots:\n    - table: c\n      percent: 10\n      rows: 5\n", 4,
                     "not both", id="percent-and-rows"),
        pytest.param("version: 1\ntables:\n  c:\n    columns:\n      x: {mask: \"${NOT_SET_ANYWHERE}\"}\n", 5,
                     "NOT_SET_ANYWHERE", id="unset-variable"),
        pytest.param("- a\n- b\n", 1, "must be a YAML mapping", id="not-a-mapping"),
    ],
)
def test_bad_policies_name_the_file_and_line(text: str, line: int, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, Path("bad.yaml"))
    err = caught.value
    assert err.file == "bad.yaml"
    assert err.line == line
    assert expected in str(err)
    assert "hunter2" not in str(err)


def test_every_problem_is_reported_at_once() -> None:
    text = "version: 1\ntables:\n  a:\n    colums: {}\n  b:\n    columns:\n      x: {}\nretention_days: 0\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, Path("bad.yaml"))
    message = str(caught.value)
    assert "3 problem(s)" in message
    for expected in ("line 4", "line 7", "line 8"):
        assert expected in message


def test_errors_end_with_a_corrected_example() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("version: 1\ntabels: {}\n", Path("bad.yaml"))
    assert caught.value.hint is not None
    assert "email: { mask: email }" in caught.value.hint
