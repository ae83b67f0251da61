"""Heavy third-party modules, loaded on first use.

pandas and SQLAlchemy take ~0.5 s and ~0.3 s of CPU to import, and a command's ``--help`` or a
report re-render never calls them. A module that uses one writes, at its top::

    if TYPE_CHECKING:
        import sqlalchemy as sa
    else:
        sa = lazy_import("sqlalchemy")     # heavy: loaded on first use

and pays for the import the first time it touches ``sa.<name>``. Only for third-party libraries:
our own modules are imported normally, at the top, so the import graph stays visible.

The stand-in is never put in ``sys.modules``: ``importlib.util.LazyLoader`` does that, and then an
``import sqlalchemy.exc`` elsewhere (factory_boy's does) runs the package while importing the submodule
and loads ``sqlalchemy.exc`` twice, so ``except sa.exc.DBAPIError`` no longer catches what the engine
raises. Here the first attribute read imports the module the ordinary way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands for module ``__name__`` until an attribute is read, then forwards to the real module."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)          # later reads skip this method
        return getattr(module, attr)


def lazy_import(name: str) -> ModuleType:
    """The top-level module ``name`` (imported when one of its attributes is first read)."""
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return _Deferred(name)
