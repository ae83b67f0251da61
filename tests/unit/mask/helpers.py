from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext, Strategy
from anonymiser.schema import ColumnInfo

KEY = bytes(range(32))               # the fixed test key of the golden file
OTHER_KEY = bytes(range(1, 33))


def ctx(*, length: int | None = None, unique: bool = False, key: bytes = KEY, kind: str = "string",
        frame: pd.DataFrame | None = None, bits: int | None = None) -> MaskContext:
    column = ColumnInfo(name="c", kind=kind, sql_type="TEXT", length=length, bits=bits)  # type: ignore[arg-type]
    return MaskContext(key=key, table="t", column=column, unique=unique, frame=frame)


STRING = pa.string()


def arrow(values: list[Any], type_: pa.DataType = STRING) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, type_)))


def run(name: str, values: pd.Series, options: dict[str, Any] | None = None, **kw: Any) -> pd.Series:
    strategy: Strategy = registry.build(name, options or {})
    return strategy.mask(values, ctx(**kw))
