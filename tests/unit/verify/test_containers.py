"""The leak scan sees inside arrays and JSON documents (issue 10 item 5)."""

from __future__ import annotations

import pyarrow as pa

from anonymiser.jsonpath import JsonPath, leaf_texts
from anonymiser.mask import registry
from anonymiser.verify import hashing
from anonymiser.verify.leaks import exempt_from_same_row, masked_json_paths
from anonymiser.write.manifest import ColumnMasking


def test_array_elements_are_hashed_with_the_row_they_belong_to() -> None:
    values = pa.array([["A@x.org", None, ""], None, [], ["b@x.org"]])
    text, rows = hashing.prepared(values)  # type: ignore[misc]
    assert text.to_pylist() == ["a@x.org", "b@x.org"] and rows.tolist() == [0, 3]
    grid = pa.array([[[1, 2]], [[3]]], pa.list_(pa.list_(pa.int64())))
    text, rows = hashing.prepared(grid)  # type: ignore[misc]
    assert text.to_pylist() == ["1", "2", "3"] and rows.tolist() == [0, 0, 1]


def test_a_whole_array_is_one_text_for_the_same_row_check() -> None:
    joined = hashing.as_text(pa.array([["a", "b"], None, []]))
    assert joined is not None and joined.to_pylist() == ["a\x1fb", None, ""]


def test_the_values_at_masked_json_paths_are_the_source_values() -> None:
    docs = ['{"contact": {"email": "a@x.org", "phones": ["021 555 0199", null]}, "n": 5}', None, "not json"]
    paths = [JsonPath.parse("$.contact.email"), JsonPath.parse("$.contact.phones"), JsonPath.parse("$.n")]
    assert leaf_texts(docs, paths) == ["a@x.org", "021 555 0199", "5"]


def test_masked_paths_come_from_the_recorded_rule_without_kept_ones() -> None:
    options = {"json_paths": {"$.email": "email", "$.note": "keep", "$.team": {"mask": "keep"}, "$.pin": None}}
    recorded = ColumnMasking.of(registry.build("json", options), options=options)
    assert [p.text for p in masked_json_paths(recorded)] == ["$.email", "$.pin"]


def test_member_and_json_columns_are_not_judged_by_unchanged_cells() -> None:
    def masking(strategy: str) -> ColumnMasking:
        options = {"json_paths": {"$.a": "email"}} if strategy == "json" else {}
        return ColumnMasking.of(registry.build(strategy, options), options=options)

    assert exempt_from_same_row(masking("member")) and exempt_from_same_row(masking("json"))
    assert not exempt_from_same_row(masking("email"))
