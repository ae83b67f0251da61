"""Strategies by name: ``@register`` on the class, ``build(name, options)`` from a policy rule.

The registry is also where the strategies' self-descriptions meet: which strategy is the default
for a detected entity (``for_entity``), and which strategies can mask a column (``fitting``).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import ValidationError

from anonymiser.errors import PolicyError, PolicyOptionError
from anonymiser.mask.base import LeakClass, Strategy
from anonymiser.schema import ColumnInfo, ColumnKind

_REGISTRY: dict[str, type[Strategy]] = {}
_BY_ENTITY: dict[str, str] = {}
_loaded = False
# What every strategy must say about itself, in its own class body (see mask/base.py).
SELF_DESCRIPTION = ("name", "summary", "technique", "entities", "leak_class", "accepts")
STRATEGIES_PACKAGE = "anonymiser.mask.strategies"


def register(cls: type[Strategy]) -> type[Strategy]:
    missing = [attr for attr in SELF_DESCRIPTION if attr not in vars(cls)]
    if missing:
        raise TypeError(f"strategy {cls.__qualname__} must declare {', '.join(missing)} in its class body")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"strategy name {cls.name!r} registered twice")
    for entity in cls.entities:
        owner = _BY_ENTITY.setdefault(entity, cls.name)
        if owner != cls.name:
            raise ValueError(f"entity {entity!r} claimed by both {owner!r} and {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    # The strategy modules import this one (for ``register``), so they are imported on first use,
    # by package path, rather than at the top of this module.
    global _loaded
    if _loaded:
        return
    package = importlib.import_module(STRATEGIES_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{STRATEGIES_PACKAGE}.{module.name}")
    _loaded = True


def names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def classes() -> list[type[Strategy]]:
    """The built-in strategy classes (one module each in ``anonymiser.mask.strategies``), by name."""
    _load_builtin()
    return [cls for _, cls in sorted(_REGISTRY.items()) if cls.__module__.startswith(STRATEGIES_PACKAGE + ".")]


def get(name: str) -> type[Strategy]:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise PolicyError(
            f"unknown masking strategy {name!r}",
            hint=f"{hint}Known strategies: {', '.join(sorted(_REGISTRY))}.",
        ) from None


def for_entity(entity: str) -> str | None:
    """The default strategy for a detected entity type (``EMAIL_ADDRESS`` → ``email``), if any."""
    _load_builtin()
    return _BY_ENTITY.get(entity)


def leak_class(strategy: Strategy, entity: str | None, in_key: bool) -> LeakClass:
    """How verify's leak scan judges the source values of a column masked by ``strategy``: the strategy's own
    class; for one that does not know what its values are (keep, null, hash, ...), the class of the
    detected entity's default strategy; else a key's values are dictionary-like (small numbers, remapped
    codes) and anything else is judged by each value's shape."""
    if strategy.leak_class is not None:
        return strategy.leak_class
    owner = for_entity(entity) if entity else None
    if owner is not None and (by_entity := get(owner).leak_class) is not None:
        return by_entity
    return "dictionary" if in_key else "default"


def entity_map() -> dict[str, str]:
    """Every entity type a strategy claims, with that strategy's name."""
    _load_builtin()
    return dict(sorted(_BY_ENTITY.items()))


def fitting(column: ColumnInfo) -> list[str]:
    """Names of the strategies that can mask this column, an array's either whole or element by element
    (for a strategy that needs options, such as ``generalise``, it is enough that some options fit)."""
    out = []
    for cls in classes():
        try:
            strategy = cls()
        except ValidationError:       # required options: the declared kinds are all we know
            whole = column.kind != "array" or "array" in cls.accepts
            if (column if whole else column.element()).kind in cls.accepts:
                out.append(cls.name)
            continue
        if strategy.fit_problem(column) is None:
            out.append(cls.name)
    return out


def build(name: str, options: dict[str, Any]) -> Strategy:
    cls = get(name)
    try:
        return cls.from_options(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{' '.join(str(p) for p in err['loc'] if p != '[key]') or name}: "
            f"{err['msg'].removeprefix('Value error, ')}" for err in exc.errors()
        )
        allowed = ", ".join(cls.params_model.model_fields) or "none"
        first = tuple(p for p in exc.errors()[0]["loc"] if p != "[key]") if exc.errors() else ()
        raise PolicyOptionError(
            f"bad options for strategy {name!r}: {problems}",
            hint=f"Options {name!r} accepts: {allowed}.", option_path=first,
        ) from None


def type_label(column: ColumnInfo) -> str:
    """A column's type as the strategy table names it: its kind (an array's with its elements')."""
    kind: str = column.element_kind or "text" if column.kind == "array" else column.kind
    if kind == "integer" and column.bits:     # the range decides which identifier fakes fit
        kind = f"{column.bits}-bit integer"
    label = f"array of {kind}" if column.kind == "array" else kind
    return label if column.nullable else f"{label} NOT NULL"


def example_column(kind: ColumnKind) -> ColumnInfo:
    """A nullable column of ``kind`` (an enum/SET with members, an array of text) for the generic table."""
    members = ("a", "b") if kind in ("enum", "set") else ()
    element: ColumnKind | None = "text" if kind == "array" else None
    return ColumnInfo(name=kind, kind=kind, sql_type=kind, members=members, element_kind=element,
                      dimensions=1 if element else 0)


def strategy_table(columns: Iterable[tuple[str, ColumnInfo]] | None = None) -> list[tuple[str, list[str], list[str]]]:
    """(column type, strategies that fit it, the "table.column" names of that type) per type: for the
    given columns (a source's), or for one example column of every kind. Read from the strategies'
    own ``accepts``/``rejects``, the same rule ``check`` enforces."""
    if columns is None:
        columns = [("", example_column(kind)) for kind in get_args(ColumnKind)]
    rows: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, column in columns:
        rows.setdefault((type_label(column), tuple(fitting(column))), []).append(name)
    return [(label, list(fit), [n for n in names if n]) for (label, fit), names in sorted(rows.items())]


README_START = "<!-- strategy table: generated by scripts/strategy_table.py from the registry; do not edit -->"
README_END = "<!-- end of strategy table -->"


def markdown_table() -> str:
    """The README's strategy table, from each strategy's own description."""
    lines = ["| strategy | technique (ISO/IEC 20889) | what it does |", "|---|---|---|"]
    lines += [f"| `{cls.name}` | {cls.technique} | {cls.summary} |" for cls in classes()]
    return "\n".join(lines)


def with_markdown_table(readme: str) -> str:
    """``readme`` with the text between the table's markers replaced by ``markdown_table()``."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n" + markdown_table() + "\n" + readme[end:]
