"""routerx: keep a coding agent's choice of language models honest.

`import router` stays cheap (no numpy, no SQLAlchemy, no Prefect): the public names
below are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from router.router import Router
    from router.selection import Selection

__all__ = ["Router", "Selection"]

_LAZY = {"Router": "router.router", "Selection": "router.selection"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'router' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
