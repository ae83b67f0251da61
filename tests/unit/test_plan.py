from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from anonymiser.errors import PolicyDriftError, PolicyError
from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.mask.registry import register
from anonymiser.plan import build_plan, drift_problems, validate_rules
from anonymiser.policy import parse_policy
from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo


@register
class _Reverse(Strategy):
    """A stand-in strategy so planning is tested apart from the real masking engine."""

    name = "test_reverse"
    technique = "pseudonymisation"

    def mask(self, values: pd.Series, ctx: MaskContext) -> pd.Series:
        return values.str[::-1]


def _col(name: str, kind: str = "string") -> ColumnInfo:
    return ColumnInfo(name=name, kind=kind, sql_type=kind.upper())  # type: ignore[arg-type]


SCHEMA = SchemaInfo(dialect="sqlite", tables={
    "account": TableInfo(name="account", columns=(_col("number"), _col("owner")), primary_key=("number",)),
    "payment": TableInfo(
        name="payment", columns=(_col("id", "integer"), _col("account_number"), _col("memo")), primary_key=("id",),
        foreign_keys=(ForeignKey(columns=("account_number",), ref_table="account", ref_columns=("number",)),)),
    "person": TableInfo(
        name="person", columns=(_col("code"), _col("mentor_code")), primary_key=("code",),
        foreign_keys=(ForeignKey(columns=("mentor_code",), ref_table="person", ref_columns=("code",)),)),
})

POLICY = """\
version: 1
tables:
  account:
    columns:
      number: {mask: test_reverse}
      owner: null
  payment:
    columns:
      id: keep
      account_number: keep
      memo: keep
  person:
    columns:
      code: {mask: test_reverse}
      mentor_code: keep
"""


def _plan(text: str = POLICY):  # type: ignore[no-untyped-def]
    return build_plan(parse_policy(text, Path("p.yaml")), SCHEMA)


def test_foreign_keys_share_the_parent_strategy_instance() -> None:
    plan = _plan()
    number = plan.tables["account"].columns[0]
    account_number = plan.tables["payment"].columns[1]
    assert account_number.strategy is number.strategy
    assert account_number.inherited_from == "account.number"
    assert number.unique and number.injective   # a masked primary key must stay unique
    assert account_number.injective and not account_number.unique   # many payments per account


def test_self_references_share_the_instance_too() -> None:
    plan = _plan()
    code, mentor = plan.tables["person"].columns
    assert mentor.strategy is code.strategy


def test_a_conflicting_rule_on_a_foreign_key_is_refused_with_its_line() -> None:
    text = POLICY.replace("account_number: keep", "account_number: null")
    with pytest.raises(PolicyError) as caught:
        _plan(text)
    assert caught.value.line == 10
    assert "join would break" in str(caught.value)


def test_an_unruled_column_stops_the_plan_and_names_a_rule() -> None:
    text = POLICY.replace("      memo: keep\n", "")
    with pytest.raises(PolicyDriftError) as caught:
        _plan(text)
    assert any("payment.memo" in p and "Add under tables.payment.columns" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(("account:", "acount:"), "Did you mean 'account'", id="misspelt-table"),
        pytest.param(("      memo: keep", "      memo: keep\n      mem0: keep"), "Did you mean 'memo'",
                     id="unknown-column"),
    ],
)
def test_rules_for_missing_tables_or_columns_are_drift(edit: tuple[str, str], expected: str) -> None:
    loaded = parse_policy(POLICY.replace(*edit), Path("p.yaml"))
    assert any(expected in p for p in drift_problems(loaded, SCHEMA))


def test_an_unknown_strategy_suggests_the_closest_name() -> None:
    loaded = parse_policy(POLICY.replace("owner: null", "owner: test_revrse"), Path("p.yaml"))
    with pytest.raises(PolicyError) as caught:
        validate_rules(loaded)
    assert "Did you mean 'test_reverse'" in str(caught.value)
    assert "line 6" in str(caught.value)


def test_excluding_a_referenced_table_is_refused() -> None:
    text = POLICY.replace("  account:\n    columns:", "  account:\n    exclude: true\n    columns:")
    with pytest.raises(PolicyError) as caught:
        _plan(text)
    assert "payment.account_number references it" in str(caught.value)
