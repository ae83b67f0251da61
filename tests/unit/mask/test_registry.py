"""Every strategy describes itself in its own module, and the registry holds it to that."""

from __future__ import annotations

import inspect
from typing import get_args

import pyarrow as pa
import pytest

from anonymiser.mask import registry
from anonymiser.mask.base import LeakClass, MaskContext, Strategy, Technique
from anonymiser.schema import ColumnInfo, ColumnKind

BUILTIN = [cls.name for cls in registry.classes()]


@pytest.mark.parametrize("name", BUILTIN)
def test_a_strategy_describes_itself_in_its_own_module(name: str) -> None:
    cls = registry.get(name)
    assert inspect.getmodule(cls).__name__ == f"{registry.STRATEGIES_PACKAGE}.{name}"  # type: ignore[union-attr]
    own = vars(cls)
    for attr in registry.SELF_DESCRIPTION:
        assert attr in own, f"{name} must declare {attr} in its class body"
    assert cls.technique in get_args(Technique)
    assert cls.leak_class is None or cls.leak_class in get_args(LeakClass)
    assert cls.accepts and set(cls.accepts) <= set(get_args(ColumnKind))
    assert cls.summary


def test_a_strategy_that_does_not_describe_itself_cannot_register() -> None:
    class Vague(Strategy):
        name = "vague"
        technique = "none"

        def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
            return values

    with pytest.raises(TypeError, match="summary, entities, leak_class, accepts"):
        registry.register(Vague)


def test_each_entity_has_one_owner() -> None:
    owners = registry.entity_map()
    assert owners["EMAIL_ADDRESS"] == "email" and owners["DATE_TIME"] == "keep"
    claimed = [e for cls in registry.classes() for e in cls.entities]
    assert len(claimed) == len(set(claimed))


@pytest.mark.parametrize(
    ("kind", "nullable", "expected", "absent"),
    [
        ("binary", True, {"keep", "null", "redact"}, {"hash", "email"}),
        ("integer", False, {"keep", "remap", "noise", "nz_ird", "postcode"}, {"null", "person_name", "email"}),
        ("date", True, {"keep", "null", "date_shift", "generalise"}, {"email", "noise"}),
        ("text", True, {"free_text", "person_name", "redact", "hash"}, {"noise"}),
    ],
    ids=["blob", "integer-not-null", "date", "text"],
)
def test_fitting_lists_strategies_by_column_kind(kind: str, nullable: bool, expected: set[str],
                                                 absent: set[str]) -> None:
    column = ColumnInfo(name="c", kind=kind, sql_type=kind.upper(), nullable=nullable)  # type: ignore[arg-type]
    fitting = set(registry.fitting(column))
    assert expected <= fitting and not absent & fitting
