"""Wire a shard to the real world: provider client, limiter, prices and the sandbox.

Kept apart from `generate.py` (which takes `ask` and `price` as arguments and is tested
with plain functions) so that the one place that opens HTTP clients and sandboxes is
small and obvious.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks.assessment.estimate import estimate_assessment
from benchmarks.assessment.generate import ShardResult, run_shard
from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import RunInfo, WorkItem
from router.completions import complete
from router.completions.limiter import shared_limiter
from router.pricing import PriceBook, load_price_book
from router.settings import load_settings

if TYPE_CHECKING:
    from benchmarks.sandbox.pool import Sandbox

USER_AGENT = "routerx-assess/0.1"
_SANDBOX: Sandbox | None = None
_SANDBOX_LOCK = threading.Lock()


def process_sandbox() -> Sandbox:
    """One pre-forked sandbox pool per worker process, shared by its shards.

    Why shared: starting the pool (forking workers that import the interpreter and the
    benchmark modules) costs far more than judging a shard's samples.
    """
    global _SANDBOX
    with _SANDBOX_LOCK:
        if _SANDBOX is None:
            from benchmarks.sandbox import Sandbox

            _SANDBOX = Sandbox()
            atexit.register(_SANDBOX.close)
        return _SANDBOX


async def refresh_prices(database_url: str | None = None) -> str:
    """Fetch the models.dev catalogue once before the fan-out (cached in the store)."""
    book = await current_price_book(database_url)
    return str(book.catalogue.note)


async def current_price_book(database_url: str | None = None) -> PriceBook:
    """The price book with a fresh models.dev copy where one is due (as `refresh_prices`)."""
    settings = load_settings()
    async with httpx.AsyncClient(timeout=settings.http_timeout,
                                 headers={"User-Agent": USER_AGENT}) as client:
        return await load_price_book(settings, client, database_url)


def cached_price_book(database_url: str | None = None) -> PriceBook:
    """The price book from routerx.toml, stated prices and the stored models.dev copy."""
    return asyncio.run(load_price_book(load_settings(), None, database_url))


def dry_run(model_ids: Sequence[str], params: AssessParams,
            database_url: str | None = None) -> dict[str, Any]:
    """What the assessment would ask and cost (`estimate.estimate_assessment`)."""
    book = asyncio.run(current_price_book(database_url))
    return estimate_assessment(model_ids, params, book, database_url)


async def assess_shard(run: RunInfo, items: Sequence[WorkItem], params: AssessParams,
                       database_url: str | None = None) -> ShardResult:
    settings = load_settings()
    limiter = shared_limiter(settings)
    book = await load_price_book(settings, None, database_url)  # the cached copy only
    async with httpx.AsyncClient(timeout=settings.completion_timeout,
                                 headers={"User-Agent": USER_AGENT}) as client:

        async def ask(messages: list[dict[str, str]], seed: int | None) -> Any:
            return await complete(
                run.model_id, messages, temperature=params.temperature,
                max_tokens=params.max_tokens, seed=seed, client=client, limiter=limiter,
                settings=settings)

        def price(tokens_in: int | None, tokens_out: int | None) -> float | None:
            return book.cost_usd(run.model_id, tokens_in, tokens_out)

        return await run_shard(run, items, params, ask=ask, price=price,
                               sandbox=process_sandbox(), database_url=database_url)
