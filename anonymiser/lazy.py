"""Heavy third-party modules, loaded on first use (``importlib.util.LazyLoader``).

pandas and SQLAlchemy take ~0.5 s and ~0.3 s of CPU to import, and a command's ``--help`` or a
report re-render never calls them. A module that uses one writes, at its top::

    if TYPE_CHECKING:
        import sqlalchemy as sa
    else:
        sa = lazy_import("sqlalchemy")     # heavy: loaded on first use

and pays for the import the first time it touches ``sa.<name>``. Only for third-party libraries:
our own modules are imported normally, at the top, so the import graph stays visible.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """The top-level module ``name``, executed when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
