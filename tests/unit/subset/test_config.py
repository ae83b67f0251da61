"""The ``subset:`` policy section: what it accepts and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from anonymiser.policy.subset import RootSpec
from anonymiser.subset import SubsetPolicy
from anonymiser.subset.sample import sample_size


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"roots": [{"table": "t", "percent": 10, "rows": 5}]}, "not both", id="percent-and-rows"),
        pytest.param({"roots": [{"table": "t"}]}, "one of", id="no-size"),
        pytest.param({"roots": [{"table": "t", "percent": 0}]}, "greater than 0", id="zero-percent"),
        pytest.param({"virtual_foreign_keys": [{"table": "a", "columns": ["x", "y"], "ref_table": "b",
                                                "ref_columns": ["id"]}]}, "same length", id="vfk-arity"),
        pytest.param({"children": [{"table": "a", "limit": -1}]}, "greater than or equal", id="negative-limit"),
        pytest.param({"unreached": "keep"}, "related", id="unknown-unreached"),
        pytest.param({"sed": 1}, "Extra inputs", id="typo"),
    ],
)
def test_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SubsetPolicy.model_validate(data)


def test_spec_example_loads() -> None:
    policy = SubsetPolicy.model_validate({
        "seed": 7, "roots": [{"table": "customer", "percent": 10}, {"table": "x", "where": "a > 1", "rows": 3}],
        "children": [{"table": "invoice", "via": ["customer_id"], "limit": 5}], "virtual_foreign_keys": [],
    })
    assert policy.unreached == "related" and policy.include_children and policy.roots[1].rows == 3


@pytest.mark.parametrize(
    ("eligible", "size", "expected"),
    [
        pytest.param(59, {"percent": 10}, 6, id="chinook-customers"),
        pytest.param(830, {"percent": 10}, 83, id="northwind-orders"),
        pytest.param(1000, {"percent": 0.05}, 1, id="half-rounds-up"),
        pytest.param(3, {"percent": 1}, 0, id="rounds-to-zero"),
        pytest.param(5, {"rows": 10}, 5, id="rows-capped"),
        pytest.param(50, {"where": "x"}, 50, id="where-alone-keeps-all"),
        pytest.param(7, {"percent": 100}, 7, id="everything"),
    ],
)
def test_sample_size(eligible: int, size: dict[str, Any], expected: int) -> None:
    assert sample_size(eligible, RootSpec(table="t", **size)) == expected
