"""What a route returns: the chosen model, its provider, the chain after it, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Selection:
    """One routing answer.

    `category` is the category actually routed (the configured default when the
    requested one is unknown: post the outcome against this one). `strategy` names the
    link of the strategy chain that answered; `reason` says the same in words.
    """

    model: str
    provider: str
    fallbacks: tuple[str, ...]
    is_exploration: bool
    reason: str
    category: str
    strategy: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `routerx route --json` and `GET /v1/route`."""
        return {
            "model": self.model,
            "provider": self.provider,
            "fallbacks": list(self.fallbacks),
            "is_exploration": self.is_exploration,
            "reason": self.reason,
            "category": self.category,
        }
