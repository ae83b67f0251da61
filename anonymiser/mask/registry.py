"""Strategies by name: ``@register`` on the class, ``build(name, options)`` from a policy rule."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Any

from pydantic import ValidationError

from anonymiser.errors import PolicyError
from anonymiser.mask.base import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}
_loaded = False


def register(cls: type[Strategy]) -> type[Strategy]:
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"strategy name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    from anonymiser.mask import strategies

    for module in pkgutil.iter_modules(strategies.__path__):
        importlib.import_module(f"{strategies.__name__}.{module.name}")
    _loaded = True


def names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


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
