"""What the routing endpoint keeps for the life of the server process.

One HTTP client (connection pools to every provider; the environment's proxies, read
once), the providers' configuration
with their key rings (a key resting after a 429 rests for every request), the price
book and the catalogue's output limits (refreshed every few minutes), and the outcome
recorder.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import aiohttp
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from router.pricing import PriceBook, load_price_book
from router.providers.catalog import ProviderConfig, load_providers
from router.proxy.env_proxy import EnvProxies
from router.proxy.recorder import OutcomeRecorder
from router.proxy.settings import ProxySettings, load_proxy_settings
from router.router import Router
from router.settings import Settings, load_settings
from router.store import get_engine
from router.store.models import Model

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0


@dataclass
class ProxyState:
    router: Router
    client: aiohttp.ClientSession
    providers: dict[str, ProviderConfig]
    settings: Settings
    proxy: ProxySettings
    recorder: OutcomeRecorder
    proxies: EnvProxies = field(default_factory=EnvProxies)
    prices: PriceBook = field(default_factory=PriceBook)
    output_limits: dict[str, int] = field(default_factory=dict)
    _refreshed: float = 0.0
    _refreshing: asyncio.Task[None] | None = None  # held so the task is not collected

    def timeout(self) -> aiohttp.ClientTimeout:
        """10 s to connect; a whole answer (or a gap in a stream) may take as long as a
        completion may (ROUTERX_COMPLETION_TIMEOUT)."""
        return aiohttp.ClientTimeout(total=None, sock_connect=10.0,
                                     sock_read=self.settings.completion_timeout)

    @classmethod
    def build(cls, router: Router) -> ProxyState:
        settings = load_settings()
        proxy = load_proxy_settings()
        client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            # HTTP(S)_PROXY as httpx would, read once (`EnvProxies`), not per request
            auto_decompress=False, trust_env=False,
        )
        return cls(router=router, client=client, providers=load_providers(settings),
                   settings=settings, proxy=proxy,
                   recorder=OutcomeRecorder(router, proxy.outcome_batch_ms))

    async def refresh(self) -> None:
        """Reload prices and output limits (store reads, in the thread pool)."""
        self._refreshed = time.monotonic()
        try:
            self.prices = await run_in_threadpool(_price_book, self.settings,
                                                  self.router.database_url)
            self.output_limits = await run_in_threadpool(_output_limits, self.router.database_url)
        except Exception as exc:  # noqa: BLE001 - the last known prices keep serving
            log.warning("proxy: prices or limits not refreshed: %s", exc)

    def refresh_if_stale(self) -> None:
        """Start a refresh in the background once the copy is REFRESH_SECONDS old: a
        request never waits for it."""
        if time.monotonic() - self._refreshed >= REFRESH_SECONDS:
            self._refreshed = time.monotonic()
            self._refreshing = asyncio.get_running_loop().create_task(self.refresh())

    async def close(self) -> None:
        await self.recorder.close()
        await self.client.close()


def _price_book(settings: Settings, database_url: str | None) -> PriceBook:
    """The price book from routerx.toml, the store and its cached models.dev copy (never
    the network: `client=None`)."""
    return asyncio.run(load_price_book(settings, None, database_url))


def _output_limits(database_url: str | None) -> dict[str, int]:
    with Session(get_engine(database_url)) as session:
        rows = session.exec(select(Model.id, Model.max_output_tokens).where(
            col(Model.max_output_tokens).is_not(None))).all()
    return {model: int(limit) for model, limit in rows if limit}
