"""Asking through the real entry point, with settings read from the test's environment."""

from __future__ import annotations

from typing import Any

import httpx

from router.completions import Completion, ProviderLimiter, complete
from router.settings import load_settings

MESSAGES = [
    {"role": "system", "content": "Answer with code only."},
    {"role": "user", "content": "Write add(a, b)."},
]


def limiter() -> ProviderLimiter:
    return ProviderLimiter.from_settings(load_settings())


async def ask(model_id: str, client: httpx.AsyncClient, lim: ProviderLimiter | None = None,
              **kw: Any) -> Completion:
    settings = load_settings()
    return await complete(
        model_id, kw.pop("messages", MESSAGES), temperature=kw.pop("temperature", 0.2),
        max_tokens=kw.pop("max_tokens", 256), seed=kw.pop("seed", None), client=client,
        limiter=lim or ProviderLimiter.from_settings(settings), settings=settings,
    )
