"""Completion wire formats registered by name (`@wire_format("anthropic")`).

The name is `ProviderConfig.wire`, the same name discovery's adapters use, so a provider
is asked in the format it is listed in. Adding a format is one module with one decorated
class, imported in `router/completions/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from router.completions.records import CompletionRequest, WireReply, WireRequest
from router.errors import UnknownNameError
from router.providers.catalog import ProviderConfig


class WireFormat(Protocol):
    def request(self, cfg: ProviderConfig, req: CompletionRequest) -> WireRequest: ...

    def parse(self, provider: str, body: Any) -> WireReply: ...


_FORMATS: dict[str, WireFormat] = {}


def wire_format(*wires: str) -> Callable[[type], type]:
    def register(cls: type) -> type:
        for wire in wires:
            if wire in _FORMATS:
                raise ValueError(f"completion wire format {wire!r} registered twice")
            _FORMATS[wire] = cls()
        return cls

    return register


def get_wire_format(wire: str) -> WireFormat:
    import router.completions  # noqa: F401  (imports every wire-format module)

    try:
        return _FORMATS[wire]
    except KeyError:
        raise UnknownNameError("completion wire format", wire, _FORMATS) from None
