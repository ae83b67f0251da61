"""Mask the values at given paths inside JSON documents with any strategy; keep everything else.

.. code-block:: yaml

    payload:
      mask: json
      json_paths:
        "$.contact.email": email
        "$.phones[*]": phone
        "$..ird": { mask: nz_ird }
        "$.notes": { mask: free_text }

Each path (the subset of JSONPath in ``mask/jsonpath.py``) names a rule written like a column's:
a strategy name, or ``{mask: name, <its options>}``. The values a path selects in every document of
the chunk are masked together, as one column, by that strategy: an e-mail inside JSON gets the same
pseudonym as the same address in an e-mail column. Strings are masked as text; numbers and booleans
as numbers and booleans when the strategy masks those, else as their text (the fake is then a
string); an array a path selects is masked element by element; JSON ``null`` stays ``null``. An
object a path selects can only be kept or nulled (name its members instead). Paths apply in the
order written. Documents no path touches are copied byte for byte; the others are written back
with their members in order and numbers as written (docs/types.md). A value that is not JSON stops
the run with the column named (mask such a column with ``null``, ``redact`` or ``hash`` instead).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AfterValidator, Field

from anonymiser.errors import MaskError, PolicyError, PolicyOptionError
from anonymiser.jsonpath import JsonPath, Number, dumps, loads
from anonymiser.mask import columnar, registry
from anonymiser.mask.base import TEXT_KINDS, InvalidCells, MaskContext, Strategy, StrategyParams
from anonymiser.mask.registry import register
from anonymiser.schema import ColumnInfo, ColumnKind

# The column kinds a JSON scalar can be given to a strategy as (strings, numbers, booleans).
SCALAR_KINDS: dict[type, ColumnKind] = {str: "text", int: "integer", float: "float", bool: "boolean"}
_ARROW: dict[ColumnKind, pa.DataType] = {"text": pa.string(), "integer": pa.int64(), "float": pa.float64(),
                                         "boolean": pa.bool_()}
_KIND: dict[pa.DataType, ColumnKind] = {arrow: kind for kind, arrow in _ARROW.items()}


def _path(text: str) -> str:
    JsonPath.parse(text)     # ValueError with the position of the problem
    return text


PathRule = str | dict[str, Any] | None


class JsonParams(StrategyParams):
    json_paths: dict[Annotated[str, AfterValidator(_path)], PathRule] = Field(min_length=1)
    invalid: InvalidCells = "fail"     # cells that are not JSON: stop the run, or blank them


@register
class Json(Strategy):
    name = "json"
    params_model = JsonParams
    summary = "mask the values at json_paths (e.g. $.contact.email: email) with any strategy, keep the rest"
    technique = "pseudonymisation"
    entities = ()
    leak_class = None
    accepts = frozenset({"json", "string", "text"})   # JSON kept in text columns too (SQLite, MariaDB)

    def __init__(self, params: StrategyParams | None = None) -> None:
        super().__init__(params)
        assert isinstance(self.params, JsonParams)
        self.paths: list[tuple[JsonPath, Strategy]] = []
        for text, rule in self.params.json_paths.items():
            self.paths.append((JsonPath.parse(text), _build(text, rule)))

    def referenced_columns(self) -> list[str]:
        return sorted({ref for _, strategy in self.paths for ref in strategy.referenced_columns()})

    def masked_paths(self) -> list[JsonPath]:
        """The paths whose values this rule changes (the leak scan looks for their source values)."""
        return [path for path, strategy in self.paths if not strategy.keeps_values]

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        text = columnar.as_text(columnar.flat(values))
        by_row = bool(self.referenced_columns())
        if by_row:    # a strategy keyed by another column: each row's document on its own
            docs_text, take = text, None
        else:         # else each distinct document once
            encoded = pc.dictionary_encode(text)
            docs_text, take = encoded.dictionary, encoded.indices
        sources: list[str | None] = docs_text.to_pylist()
        holders, bad = _parse(sources)
        params = self.params
        assert isinstance(params, JsonParams)
        if bad and params.invalid == "fail":
            raise MaskError(f"{bad} value(s) are not valid JSON, so json_paths cannot be applied",
                            table=ctx.table, column=ctx.column.name,
                            hint="Add 'invalid: null' to the rule to blank the cells that are not JSON (counted "
                                 "in the manifest), or mask the column whole with 'null'.")
        changed = np.zeros(len(sources), dtype=bool)
        for path, strategy in self.paths:
            self._apply(path, strategy, holders, changed, ctx)
        out = pa.array([dumps(h[0]) if hit and h is not None else None if h is None and s else s
                        for h, hit, s in zip(holders, changed, sources, strict=True)], pa.string())
        if bad:
            self.stats.count("invalid_nulled", bad)
        self.stats.cells += len(values)
        self.stats.distinct += len(sources)
        self.stats.nulls += values.null_count
        self.stats.count("documents_changed", int(changed.sum()))
        result = out if take is None else pc.take(out, take)
        return columnar.cast_like(result, values.type)

    def _apply(self, path: JsonPath, strategy: Strategy, holders: list[list[Any] | None], changed: np.ndarray,
               ctx: MaskContext) -> None:
        """Mask every value ``path`` selects in every document, grouped by JSON type, one column each."""
        if strategy.keeps_values:
            return
        groups: dict[ColumnKind, list[tuple[int, Any, Any]]] = defaultdict(list)
        for doc, holder in enumerate(holders):
            if holder is None:
                continue
            for container, key in path.locate(holder):
                if strategy.name == "null":
                    changed[doc] |= container[key] is not None
                    container[key] = None
                else:
                    _collect(path, strategy, doc, container, key, groups, ctx)
        for kind, places in groups.items():
            self._mask_group(path, strategy, kind, places, changed, ctx)

    def _mask_group(self, path: JsonPath, strategy: Strategy, kind: ColumnKind,
                    places: list[tuple[int, Any, Any]], changed: np.ndarray, ctx: MaskContext) -> None:
        values = _typed(path, strategy, kind, [container[key] for _, container, key in places], ctx)
        column = ColumnInfo(name=ctx.column.name, kind=_KIND[values.type], sql_type=f"JSON value at {path.text}")
        docs = np.fromiter((doc for doc, _, _ in places), dtype=np.int64, count=len(places))
        batch = ctx.batch.take(pa.array(docs)) if ctx.batch is not None and strategy.referenced_columns() else None
        try:
            masked = strategy.mask_column(values, replace(ctx, column=column, unique=False, batch=batch))
        except MaskError as exc:
            raise MaskError(f"json_paths {path.text!r}: {exc.message}", table=ctx.table, column=ctx.column.name,
                            hint=exc.hint) from None
        for (doc, container, key), new in zip(places, masked.to_pylist(), strict=True):
            container[key] = new
            changed[doc] = True


def _collect(path: JsonPath, strategy: Strategy, doc: int, container: Any, key: Any,
             groups: dict[ColumnKind, list[tuple[int, Any, Any]]], ctx: MaskContext) -> None:
    value = container[key]
    if value is None:
        return                                        # JSON null stays null
    if isinstance(value, list):                       # an array: element by element
        for i in range(len(value)):
            _collect(path, strategy, doc, value, i, groups, ctx)
        return
    if isinstance(value, dict):
        raise MaskError(f"json_paths {path.text!r} selects an object; {strategy.name!r} masks single values",
                        table=ctx.table, column=ctx.column.name,
                        hint=f"Name its members ({path.text}.email, {path.text}.*), or give the path 'null'.")
    kind = "float" if isinstance(value, Number) else SCALAR_KINDS[type(value)]
    groups[kind].append((doc, container, key))


def _typed(path: JsonPath, strategy: Strategy, kind: ColumnKind, raw: list[Any], ctx: MaskContext) -> pa.Array:
    """The selected values as one Arrow column of their JSON type, or as text when the strategy masks
    text but not that type (or a number is too large for 64 bits)."""
    accepted = strategy.accepted_kinds()
    fits = kind in accepted or (kind == "text" and bool(accepted & TEXT_KINDS)) or \
        (kind == "float" and "decimal" in accepted)
    if fits:
        try:
            return pa.array([float(v) if isinstance(v, Number) else v for v in raw], _ARROW[kind])
        except (OverflowError, pa.ArrowInvalid):
            pass
    if not accepted & TEXT_KINDS:
        raise MaskError(f"json_paths {path.text!r} selects {kind} values; {strategy.name!r} masks "
                        f"{', '.join(sorted(accepted))} values", table=ctx.table, column=ctx.column.name,
                        hint="Give this path a strategy for its values' type.")
    return pa.array([dumps(v) if isinstance(v, bool) else str(v) for v in raw], pa.string())


def _parse(sources: list[str | None]) -> tuple[list[list[Any] | None], int]:
    """Each document in a one-element list (so a path can replace the root), None for NULL or ''."""
    holders: list[list[Any] | None] = []
    bad = 0
    for text in sources:
        if text is None or text == "":
            holders.append(None)
            continue
        try:
            holders.append([loads(text)])
        except ValueError:
            holders.append(None)
            bad += 1
    return holders, bad


def _build(path: str, rule: PathRule) -> Strategy:
    """The strategy of one path's rule (``email`` or ``{mask: email, ...}``); errors name the path."""
    options: dict[str, Any] = {}
    if rule is None:
        name = "null"
    elif isinstance(rule, str):
        name = rule
    elif "mask" not in rule:
        raise PolicyOptionError(f"json_paths {path!r} needs 'mask: <strategy>' (e.g. {{ mask: email }})",
                                option_path=("json_paths", path))
    else:
        name, options = str(rule["mask"]), {k: v for k, v in rule.items() if k != "mask"}
    try:
        strategy = registry.build(name, options)
    except PolicyError as exc:
        below = exc.option_path if isinstance(exc, PolicyOptionError) else ()
        raise PolicyOptionError(f"json_paths {path!r}: {exc.message}", hint=exc.hint,
                                option_path=("json_paths", path, *below)) from None
    if not strategy.accepted_kinds() & (set(SCALAR_KINDS.values()) | TEXT_KINDS | {"decimal", "json"}):
        raise PolicyOptionError(
            f"json_paths {path!r}: {name!r} cannot mask a JSON value (it masks "
            f"{', '.join(sorted(strategy.accepted_kinds()))} columns)",
            hint="Give the path a strategy for text or numbers (email, hash, redact, noise ...), or null.",
            option_path=("json_paths", path))
    return strategy
