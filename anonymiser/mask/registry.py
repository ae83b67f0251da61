"""Strategies by name: ``@register`` on the class, ``build(name, options)`` from a policy rule.

The registry is also where the strategies' self-descriptions meet: which strategy is the default
for a detected entity (``for_entity``), and which strategies can mask a column (``fitting``).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Any

from pydantic import ValidationError

from anonymiser.errors import PolicyError
from anonymiser.mask.base import Strategy
from anonymiser.schema import ColumnInfo

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


def entity_map() -> dict[str, str]:
    """Every entity type a strategy claims, with that strategy's name."""
    _load_builtin()
    return dict(sorted(_BY_ENTITY.items()))


def fitting(column: ColumnInfo) -> list[str]:
    """Names of the strategies that can mask this column (for a strategy that needs options, such
    as ``generalise``, it is enough that some options fit)."""
    out = []
    for cls in classes():
        if column.kind not in cls.accepts:
            continue
        try:
            strategy = cls()
        except ValidationError:       # required options: the declared kinds are all we know
            out.append(cls.name)
            continue
        if strategy.rejects(column) is None:
            out.append(cls.name)
    return out


def build(name: str, options: dict[str, Any]) -> Strategy:
    cls = get(name)
    try:
        return cls.from_options(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or name}: {err['msg']}" for err in exc.errors()
        )
        allowed = ", ".join(cls.params_model.model_fields) or "none"
        raise PolicyError(
            f"bad options for strategy {name!r}: {problems}",
            hint=f"Options {name!r} accepts: {allowed}.",
        ) from None
