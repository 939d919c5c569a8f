"""Wire-format adapters registered by name (`@adapter("openai")`).

An adapter turns one provider's model list into `ModelRecord`s. Adding a wire format is
one module with one decorated function, imported in `router/providers/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from router.errors import UnknownNameError
from router.providers.catalog import ProviderConfig
from router.providers.http import RetryPolicy
from router.providers.records import ModelRecord

MAX_PAGES = 50


@dataclass(frozen=True)
class ListContext:
    """What an adapter needs beyond the provider's config: the client and limits."""

    client: httpx.AsyncClient
    policy: RetryPolicy
    timeout: float


Lister = Callable[[ProviderConfig, ListContext], Awaitable[list[ModelRecord]]]
_ADAPTERS: dict[str, Lister] = {}


def adapter(wire: str) -> Callable[[Lister], Lister]:
    def register(fn: Lister) -> Lister:
        if wire in _ADAPTERS:
            raise ValueError(f"adapter {wire!r} registered twice")
        _ADAPTERS[wire] = fn
        return fn

    return register


def get_adapter(wire: str) -> Lister:
    import router.providers  # noqa: F401  (imports every adapter module)

    try:
        return _ADAPTERS[wire]
    except KeyError:
        raise UnknownNameError("wire format", wire, _ADAPTERS) from None
