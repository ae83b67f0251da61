"""Issue 10 item 5: strategies on ENUM/SET, arrays (element by element), JSON paths and blobs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from anonymiser.errors import MaskError, PolicyOptionError
from anonymiser.jsonpath import JsonPath, dumps, loads
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.source_values import SourceValues
from anonymiser.schema import ColumnInfo
from tests.unit.mask.helpers import KEY, OTHER_KEY

RATINGS = ("G", "PG", "PG-13", "R", "NC-17")
FEATURES = ("Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes")
ENUM = ColumnInfo(name="rating", kind="enum", sql_type="ENUM", members=RATINGS)
SET = ColumnInfo(name="features", kind="set", sql_type="SET", members=FEATURES)
TEXT = ColumnInfo(name="email", kind="text", sql_type="TEXT")
JSON = ColumnInfo(name="payload", kind="json", sql_type="JSONB")


def array_of(kind: str, dimensions: int = 1, **facets: Any) -> ColumnInfo:
    return ColumnInfo(name="a", kind="array", sql_type=f"{kind}{'[]' * dimensions}", element_kind=kind,  # type: ignore[arg-type]
                      dimensions=dimensions, **facets)


def mask(name: str, values: pa.Array, column: ColumnInfo, options: dict[str, Any] | None = None,
         key: bytes = KEY, unique: bool = False, batch: pa.RecordBatch | None = None) -> list[Any]:
    strategy = registry.build(name, options or {})
    return strategy.mask_column(values, MaskContext(key=key, table="t", column=column, unique=unique,
                                                    batch=batch)).to_pylist()


# ---------------------------------------------------------------- ENUM and SET

def test_member_gives_declared_members_consistently_and_keeps_null_and_empty() -> None:
    values = pa.array(["G", "PG", None, "R", "G", "", "NC-17"] * 20)
    out = mask("member", values, ENUM)
    assert all(v in RATINGS for v in out if v not in (None, ""))
    assert [v for v, s in zip(out, values.to_pylist(), strict=True) if s is None] == [None] * 20
    assert [v for v, s in zip(out, values.to_pylist(), strict=True) if s == ""] == [""] * 20
    by_source = {s: {o for o, t in zip(out, values.to_pylist(), strict=True) if t == s} for s in RATINGS}
    assert all(len(outs) <= 1 for outs in by_source.values())          # same value -> same member
    assert mask("member", values, ENUM) == out                           # deterministic
    assert mask("member", values, ENUM, key=OTHER_KEY) != out            # keyed


def test_member_on_a_unique_enum_is_a_keyed_permutation() -> None:
    out = mask("member", pa.array(list(RATINGS)), ENUM, unique=True)
    assert sorted(out) == sorted(RATINGS)


def test_member_on_a_set_gives_a_keyed_subset_per_set_of_members() -> None:
    values = pa.array(["Trailers", "Deleted Scenes,Behind the Scenes", "Behind the Scenes,Deleted Scenes", "",
                       None, "Commentaries,Trailers"] * 5)
    out = mask("member", values, SET)
    for fake, source in zip(out, values.to_pylist(), strict=True):
        if source is None or source == "":
            assert fake == source
            continue
        parts = fake.split(",")
        assert parts and set(parts) <= set(FEATURES)                    # a non-empty set stays non-empty
        assert parts == sorted(parts, key=FEATURES.index)                # declared order, as MySQL writes it
    assert out[1] == out[2]                                              # the same members in another order
    unique = mask("member", pa.array(["Trailers", "Commentaries", "Trailers,Commentaries"]), SET, unique=True)
    assert len(set(unique)) == 3


def test_member_on_an_array_of_enums_agrees_with_the_scalar_column() -> None:
    scalar = mask("member", pa.array(["PG", "G"]), ENUM)
    arrays = mask("member", pa.array([["PG", None, "G"], [], None]), array_of("enum", members=RATINGS), )
    assert arrays == [[scalar[0], None, scalar[1]], [], None]


@pytest.mark.parametrize(
    ("column", "why"),
    [
        (ColumnInfo(name="rating", kind="enum", sql_type="ENUM"), "declares none"),
        (ColumnInfo(name="rating", kind="text", sql_type="ENUM", native_type="ENUM"), "CHECK (rating IN"),
        (TEXT, "'member' cannot mask a text column"),
    ],
    ids=["enum-without-members", "sqlite-bare-enum", "text"],
)
def test_member_refuses_columns_without_declared_members(column: ColumnInfo, why: str) -> None:
    problem = registry.build("member", {}).fit_problem(column)
    assert problem is not None and why in problem


# ---------------------------------------------------------------- arrays, element by element

def test_an_array_of_emails_stays_an_array_of_the_same_fakes_as_the_scalar_column() -> None:
    scalar = mask("email", pa.array(["Aroha@Example.com", "b@example.org"]), TEXT)
    arrays = mask("email", pa.array([["aroha@example.com", None, "b@example.org"], [], None, [""]]),
                  array_of("text"))
    assert arrays == [[scalar[0], None, scalar[1]], [], None, [""]]


def test_a_two_dimensional_array_keeps_its_shape() -> None:
    grid = pa.array([[[1, 2], [3, 4]], None, [], [[None, 55]]], pa.list_(pa.list_(pa.int32())))
    out = mask("remap", grid, array_of("integer", 2, bits=32))
    assert [[len(inner) for inner in row] if row is not None else None for row in out] == [[2, 2], None, [], [2]]
    assert out[3][0][0] is None and out[0] != [[1, 2], [3, 4]]
    assert sorted(out[0][0] + out[0][1]) != [] and all(0 < v < 10 for v in out[0][0] + out[0][1])


def test_a_sliced_chunk_of_arrays_is_masked_like_the_whole() -> None:
    values = pa.array([["a@x.org"], ["b@x.org", "c@x.org"], None, ["d@x.org"]])
    whole = mask("email", values, array_of("text"))
    assert mask("email", values.slice(1, 3), array_of("text")) == whole[1:]


def test_a_strategy_keyed_by_another_column_sees_each_elements_row() -> None:
    batch = pa.RecordBatch.from_pydict({"who": ["p1", "p2"],
                                        "days": [[date(2024, 1, 1), date(2024, 2, 1)], [date(2024, 1, 1)]]})
    out = mask("date_shift", batch.column(1), array_of("date"), {"by": "who", "max_days": 100}, batch=batch)
    (a, b), (c,) = out
    assert (b - a).days == 31                  # one offset per person, for every element
    assert a != c                              # another person, another offset (same source date)


def test_keep_and_null_take_the_whole_array() -> None:
    values = pa.array([["x"], None])
    assert mask("keep", values, array_of("text")) == [["x"], None]
    assert mask("null", values, array_of("text")) == [None, None]


def test_fitting_strategies_of_an_array_are_those_of_its_elements_plus_keep_and_null() -> None:
    assert set(registry.fitting(array_of("integer", bits=32))) == \
        set(registry.fitting(ColumnInfo(name="a", kind="integer", sql_type="INT", bits=32))) | {"keep", "null"}
    problem = registry.build("email", {}).fit_problem(array_of("integer", 2))
    assert problem is not None and problem.startswith("the elements of integer[][]: 'email' cannot mask")


def test_generalise_on_an_array_changes_the_element_type() -> None:
    after = registry.build("generalise", {"to": "region"}).column_after(array_of("integer", bits=32))
    assert after.kind == "array" and after.element_kind == "string" and after.native_type is None


# ---------------------------------------------------------------- JSON paths

POLICY_PATHS = {"$.contact.email": "email", "$.phones[*]": {"mask": "phone"}, "$..ird": "nz_ird",
                "$.age": {"mask": "noise", "absolute": 3}, "$.secret": None, "$.note": "keep"}


def test_json_paths_mask_only_the_values_at_the_paths() -> None:
    docs = pa.array([
        '{"contact": {"email": "Aroha@Example.com", "name": "A"}, "phones": ["021 555 0199", null], '
        '"age": 41, "price": 1.10, "secret": {"pin": 1234}, "note": "kept"}',
        '{"untouched": 1.10,   "spacing": "as written"}', None, "", '[{"deep": {"ird": "49-091-850"}}]'])
    out = mask("json", docs, JSON, {"json_paths": POLICY_PATHS})
    first = loads(out[0])
    assert first["contact"]["email"] == mask("email", pa.array(["aroha@example.com"]), TEXT)[0]
    assert first["contact"]["name"] == "A" and first["note"] == "kept" and first["secret"] is None
    assert first["phones"][1] is None and first["phones"][0] not in ("021 555 0199", None)
    assert isinstance(first["age"], int) and abs(first["age"] - 41) <= 3
    assert '"price": 1.10' in out[0]                          # numbers as written
    assert out[1:4] == docs.to_pylist()[1:4]                  # untouched documents byte for byte, NULL, ''
    assert loads(out[4])[0]["deep"]["ird"] != "49-091-850"


def test_json_cells_that_are_not_json_are_blanked_on_request() -> None:
    """Production JSON columns hold the odd malformed cell (trial F12): 'invalid: null' blanks it."""
    docs = pa.array(['{"contact": {"email": "a@b.org"}}', "not json", None, "", '{"contact": 1'])
    out = mask("json", docs, JSON, {"json_paths": {"$.contact.email": "email"}, "invalid": "null"})
    assert loads(out[0])["contact"]["email"] != "a@b.org"
    assert out[1:] == [None, None, "", None]


def test_a_number_under_a_text_strategy_becomes_its_fake_text() -> None:
    out = mask("json", pa.array(['{"b": 1}']), JSON, {"json_paths": {"$.b": "hash"}})
    assert isinstance(loads(out[0])["b"], str)


@pytest.mark.parametrize(
    ("paths", "doc", "message"),
    [
        ({"$.contact": "email"}, '{"contact": {"email": "a@b.org"}}', "selects an object"),
        ({"$.a": {"mask": "noise", "relative": 0.1}}, '{"a": "text"}', "selects text values"),
        ({"$.a": "email"}, '{"a": 1', "not valid JSON"),
        ({"$.a": "email"}, '{"a": NaN}', "not valid JSON"),
    ],
    ids=["object", "text-under-noise", "truncated", "nan"],
)
def test_json_value_errors_name_the_column(paths: dict[str, Any], doc: str, message: str) -> None:
    with pytest.raises(MaskError, match=message) as raised:
        mask("json", pa.array([doc]), JSON, {"json_paths": paths})
    assert (raised.value.table, raised.value.column) == ("t", "payload")


@pytest.mark.parametrize(
    ("paths", "message", "where"),
    [
        ({"contact.email": "email"}, r"starts with '\$'", ("json_paths", "contact.email")),
        ({"$.a[?(@.x)]": "email"}, "from character 4", ("json_paths", "$.a[?(@.x)]")),
        ({"$.a": "emial"}, "Did you mean 'email'", ("json_paths", "$.a")),
        ({"$.a": "member"}, "cannot mask a JSON value", ("json_paths", "$.a")),
        ({"$.a": {"mask": "noise", "relative": 0.1, "typo": 1}}, "typo", ("json_paths", "$.a", "typo")),
        ({"$.a": {"strategy": "email"}}, "needs 'mask: <strategy>'", ("json_paths", "$.a")),
        ({}, "at least 1 item", ("json_paths",)),
    ],
    ids=["no-dollar", "filter", "unknown-strategy", "enum-strategy", "bad-option", "no-mask", "empty"],
)
def test_json_path_rule_errors_point_at_the_path(paths: dict[str, Any], message: str,
                                                 where: tuple[str, ...]) -> None:
    with pytest.raises(PolicyOptionError, match=message) as raised:
        registry.build("json", {"json_paths": paths})
    assert raised.value.option_path == where


@pytest.mark.parametrize(
    ("path", "doc", "selected"),
    [
        ("$", '"x"', ["x"]),
        ("$.a.b", '{"a": {"b": 1}}', [1]),
        ("$['first name']", '{"first name": "Aroha"}', ["Aroha"]),
        ("$.a[0]", '{"a": [1, 2]}', [1]),
        ("$.a[-1]", '{"a": [1, 2]}', [2]),
        ("$.a[5]", '{"a": [1, 2]}', []),
        ("$.a[*]", '{"a": [1, 2]}', [1, 2]),
        ("$.a.*", '{"a": {"x": 1, "y": 2}}', [1, 2]),
        ("$..email", '{"email": 1, "a": [{"email": 2}, {"b": {"email": 3}}]}', [1, 2, 3]),
        ("$.missing.x", '{"a": 1}', []),
    ],
)
def test_json_path_steps(path: str, doc: str, selected: list[Any]) -> None:
    holder = [loads(doc)]
    assert [c[k] for c, k in JsonPath.parse(path).locate(holder)] == selected


def test_json_text_round_trips_exactly_apart_from_spacing() -> None:
    text = '{"a": 1.10, "b": [1e400, -0.0, "ü\\n"], "c": true, "d": null}'
    assert dumps(loads(text)) == text


# ---------------------------------------------------------------- blobs

def test_redact_on_a_blob_writes_placeholder_bytes_never_source_bytes() -> None:
    blob = ColumnInfo(name="photo", kind="binary", sql_type="BYTEA")
    values = pa.array([b"\x00\xff\x10", None, b"", b"\xff"], pa.binary())
    assert mask("redact", values, blob) == [b"REDACTED", None, b"", b"REDACTED"]
    keyed = mask("redact", values, blob, unique=True)
    assert keyed[0] != keyed[3] and keyed[0].startswith(b"REDACTED-")
    short = mask("redact", values, ColumnInfo(name="p", kind="binary", sql_type="BINARY(4)", length=4), unique=True)
    assert [len(v) for v in short if v] == [4, 4] and short[0] != short[3]


def test_blobs_take_only_keep_null_and_redact() -> None:
    blob = ColumnInfo(name="photo", kind="binary", sql_type="BLOB")
    assert registry.fitting(blob) == ["keep", "null", "redact"]
    problem = registry.build("hash", {}).fit_problem(blob)
    assert problem is not None and "cannot mask a binary column" in problem


# ---------------------------------------------------------------- the table check prints

def test_strategy_table_lists_each_type_once_with_what_fits() -> None:
    table = {label: fit for label, fit, _ in registry.strategy_table()}
    assert table["enum"] == ["keep", "member", "null"] and table["set"] == ["keep", "member", "null"]
    assert table["binary"] == ["keep", "null", "redact"]
    assert table["json"] == ["json", "keep", "null"]
    assert {"email", "keep", "null", "free_text"} <= set(table["array of text"])
    rows = registry.strategy_table([("t.a", ENUM), ("t.b", ENUM), ("t.c", SET)])
    assert rows == [("enum", ["keep", "member", "null"], ["t.a", "t.b"]), ("set", ["keep", "member", "null"], ["t.c"])]


def test_source_values_of_arrays_are_their_elements_and_blobs_have_none() -> None:
    values = SourceValues()
    values.add("email", "email", pa.array([["A@x.org", None], None, []]))
    values.add("redact", "exact", pa.array([b"\xff"], pa.binary()))
    assert values.hits("email", pa.array(["a@x.org", "b@x.org"])).tolist() == [True, False]


def test_email_on_an_array_fakes_every_element_consistently_as_documented() -> None:
    """README/docs/types.md: `email` on {vip,a@b.co} fakes 'vip' too, the same fake in every row and
    as a scalar e-mail column gives it (mixed arrays take free_text instead)."""
    out = mask("email", pa.array([["vip", "a@b.co"], ["vip"], None, []]), array_of("text"))
    scalar = mask("email", pa.array(["vip", "a@b.co"]), TEXT)
    assert out == [scalar, scalar[:1], None, []]
    assert all("@" in v for v in scalar)
