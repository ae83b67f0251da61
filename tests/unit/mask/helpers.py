from __future__ import annotations

from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.schema import ColumnInfo

KEY = bytes(range(32))               # the fixed test key of the golden file
OTHER_KEY = bytes(range(1, 33))


def ctx(*, length: int | None = None, unique: bool = False, key: bytes = KEY, kind: str = "string",
        batch: pa.RecordBatch | None = None, bits: int | None = None) -> MaskContext:
    column = ColumnInfo(name="c", kind=kind, sql_type="TEXT", length=length, bits=bits)  # type: ignore[arg-type]
    return MaskContext(key=key, table="t", column=column, unique=unique, batch=batch)


STRING = pa.string()


def arrow(values: list[Any], type_: pa.DataType = STRING) -> pa.Array:
    return pa.array(values, type_)


def run(name: str, values: pa.Array, options: dict[str, Any] | None = None, **kw: Any) -> pa.Array:
    strategy: Strategy = registry.build(name, options or {})
    return strategy.mask(values, ctx(**kw))


def is_unique(values: pa.Array) -> bool:
    """No value twice (NULLs ignored)."""
    present = values.drop_null()
    return len(present.unique()) == len(present)


def text_fakes() -> list[str]:
    """Every registered keyed fake of text values that needs no options: the strategy lists of the
    table-driven and property tests come from the registry, so a new strategy is tested (or named
    by the test that lacks its sample values) without editing a list."""
    return [cls.name for cls in registry.classes()
            if issubclass(cls, PseudonymStrategy) and "text" in cls.accepts and _builds_without_options(cls)]


def _builds_without_options(cls: type[Strategy]) -> bool:
    try:
        cls()
    except ValidationError:
        return False
    return True
