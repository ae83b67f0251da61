from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
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
    summary = "reverse the text"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "identifier"
    accepts = frozenset({"string"})

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        return pc.utf8_reverse(values)


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


KINDS_SCHEMA = SchemaInfo(dialect="sqlite", tables={"t": TableInfo(name="t", columns=(
    _col("id", "integer"), _col("born", "date"), _col("photo", "binary"), _col("name"),
    ColumnInfo(name="code", kind="string", sql_type="VARCHAR(8)", nullable=False),
    ColumnInfo(name="small", kind="integer", sql_type="SMALLINT", bits=16),
), primary_key=("id",))})
KINDS_POLICY = """\
version: 1
tables:
  t:
    columns:
      id: keep
      born: keep
      photo: keep
      name: keep
      code: keep
      small: keep
"""


@pytest.mark.parametrize(
    ("column", "rule", "reason", "fits"),
    [
        pytest.param("id", "person_name", "cannot mask an integer column", "remap", id="text-fake-on-integer"),
        pytest.param("born", "email", "cannot mask a date column", "date_shift", id="fake-on-date"),
        pytest.param("photo", "hash", "cannot mask a binary column", "redact", id="hash-on-blob"),
        pytest.param("name", "{mask: noise, relative: 0.1}", "cannot mask a string column", "person_name",
                     id="noise-on-text"),
        pytest.param("name", "{mask: generalise, to: year}", "cannot mask a string column", "date_shift",
                     id="generalise-year-on-text"),
        pytest.param("born", "{mask: generalise, to: band, width: 10}", "cannot mask a date column", "generalise",
                     id="generalise-band-on-date"),
        pytest.param("code", "null", "NOT NULL", "redact", id="null-on-not-null"),
        pytest.param("small", "nzbn", "16-bit", "remap", id="identifier-too-wide-for-smallint"),
    ],
)
def test_a_strategy_that_cannot_mask_the_column_type_is_refused_before_reading(
        column: str, rule: str, reason: str, fits: str) -> None:
    loaded = parse_policy(KINDS_POLICY.replace(f"      {column}: keep", f"      {column}: {rule}"), Path("p.yaml"))
    line = loaded.line_of("tables", "t", "columns", column)
    with pytest.raises(PolicyError) as caught:
        build_plan(loaded, KINDS_SCHEMA)
    message = str(caught.value)
    assert f"p.yaml:{line}: t.{column}" in message and reason in message
    fitting = message.split("Strategies that fit this column: ")[1]
    assert fits in fitting
    if not rule.startswith("{"):     # with other options (generalise to: year) a strategy may still fit
        assert rule not in fitting.split(".")[0].split(", ")


def test_every_unfit_rule_is_reported_at_once() -> None:
    text = KINDS_POLICY.replace("id: keep", "id: email").replace("born: keep", "born: {mask: noise, absolute: 1}")
    with pytest.raises(PolicyError) as caught:
        build_plan(parse_policy(text, Path("p.yaml")), KINDS_SCHEMA)
    assert "2 rule(s)" in str(caught.value) and "t.id" in str(caught.value) and "t.born" in str(caught.value)


@pytest.mark.parametrize(
    ("column", "rule"),
    [("id", "remap"), ("born", "{mask: date_shift, max_days: 3}"), ("photo", "redact"), ("photo", "null"),
     ("name", "{mask: generalise, to: region}"), ("small", "postcode"), ("code", "hash")],
    ids=["remap-int", "date-shift", "redact-blob", "null-blob", "region-text", "postcode-smallint", "hash-text"],
)
def test_strategies_that_fit_are_accepted(column: str, rule: str) -> None:
    text = KINDS_POLICY.replace(f"      {column}: keep", f"      {column}: {rule}")
    build_plan(parse_policy(text, Path("p.yaml")), KINDS_SCHEMA)


def test_a_foreign_key_following_an_unfit_parent_rule_names_both() -> None:
    schema = SchemaInfo(dialect="sqlite", tables={
        "a": TableInfo(name="a", columns=(_col("code"),), primary_key=("code",)),
        "b": TableInfo(name="b", columns=(_col("a_code", "integer"),), foreign_keys=(
            ForeignKey(columns=("a_code",), ref_table="a", ref_columns=("code",)),)),
    })
    text = "version: 1\ntables:\n  a:\n    columns:\n      code: email\n  b:\n    columns:\n      a_code: keep\n"
    with pytest.raises(PolicyError) as caught:
        build_plan(parse_policy(text, Path("p.yaml")), schema)
    assert "b.a_code (it follows a.code, a foreign key)" in str(caught.value)


UNUSUAL_SCHEMA = SchemaInfo(dialect="postgresql", tables={"t": TableInfo(name="t", columns=(
    _col("id", "integer"),
    ColumnInfo(name="rating", kind="enum", sql_type="mpaa_rating", members=("G", "PG")),
    ColumnInfo(name="emails", kind="array", sql_type="TEXT[]", element_kind="text", dimensions=1),
    ColumnInfo(name="grid", kind="array", sql_type="INTEGER[][]", element_kind="integer", dimensions=2, bits=32),
    _col("payload", "json"), _col("photo", "binary"),
), primary_key=("id",))})
UNUSUAL_POLICY = """\
version: 1
tables:
  t:
    columns:
      id: keep
      rating: member
      emails: email
      grid: remap
      payload:
        mask: json
        json_paths:
          "$.contact.email": email
          "$.phones[*]": { mask: phone }
      photo: redact
"""


def test_rules_on_unusual_types_plan_element_wise_and_by_path() -> None:
    plan = build_plan(parse_policy(UNUSUAL_POLICY, Path("p.yaml")), UNUSUAL_SCHEMA)
    columns = {c.column.name: c for c in plan.tables["t"].columns}
    assert columns["emails"].strategy.masks_elements(columns["emails"].column)
    assert columns["emails"].output == columns["emails"].column
    assert not columns["rating"].strategy.masks_elements(columns["rating"].column)


@pytest.mark.parametrize(
    ("old", "new", "where", "reason", "fits"),
    [
        ("rating: member", "rating: email", "rating", "cannot mask an enum column", "keep, member, null"),
        ("grid: remap", "grid: email", "grid", "the elements of INTEGER[][]: 'email' cannot mask", "remap"),
        ("photo: redact", "photo: hash", "photo", "cannot mask a binary column", "keep, null, redact"),
        ("payload:\n        mask: json", "payload:\n        mask: email", "payload", "cannot mask a json column",
         "json, keep, null"),
    ],
    ids=["fake-on-enum", "fake-on-int-array", "hash-on-blob", "email-on-json"],
)
def test_unfit_rules_on_unusual_types_are_refused_with_line_and_the_fitting_list(
        old: str, new: str, where: str, reason: str, fits: str) -> None:
    text = UNUSUAL_POLICY.replace(old, new)
    if where == "payload":
        text = text.replace('        json_paths:\n          "$.contact.email": email\n'
                            '          "$.phones[*]": { mask: phone }\n', "")
    loaded = parse_policy(text, Path("p.yaml"))
    with pytest.raises(PolicyError) as caught:
        build_plan(loaded, UNUSUAL_SCHEMA)
    message = str(caught.value)
    assert f"p.yaml:{loaded.line_of('tables', 't', 'columns', where)}: t.{where}" in message, message
    assert reason in message and fits in message.split("Strategies that fit this column: ")[1]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"$.phones[*]": { mask: phone }', '"$.phones[*]": { mask: phnoe }', "Did you mean 'phone'"),
        ('"$.phones[*]": { mask: phone }', '"$.phones[?(@.x)]": { mask: phone }', "from character 9"),
        ('"$.phones[*]": { mask: phone }', '"$.phones[*]": { mask: phone, region: NZ }', "region"),
    ],
    ids=["unknown-strategy", "filter", "unknown-option"],
)
def test_a_bad_json_path_rule_is_reported_at_its_own_line(old: str, new: str, message: str) -> None:
    loaded = parse_policy(UNUSUAL_POLICY.replace(old, new), Path("p.yaml"))
    with pytest.raises(PolicyError) as caught:
        validate_rules(loaded)
    path_line = UNUSUAL_POLICY.splitlines().index('          "$.phones[*]": { mask: phone }') + 1
    assert f"line {path_line}: t.payload" in str(caught.value) and message in str(caught.value)
    assert caught.value.line == path_line
