"""Bounded concurrency per provider, shared by every task of a flow run in one process.

Why not `asyncio.Semaphore`: Prefect may run the tasks of one flow run on several
threads, each with its own event loop, and an asyncio semaphore belongs to one loop.
`CrossLoopSemaphore` keeps its count under a thread lock and wakes each waiter on the
waiter's own loop (`call_soon_threadsafe`), so one bound holds across loops and threads.
Waiting never blocks a thread, and a cancelled waiter gives its slot back.

The limiter also holds each provider's configuration, because its KeyRing is the other
per-provider state that must be shared: a key resting after a 429 must rest for every
task, not only for the one that got the 429.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from router.errors import ConfigError, UnknownNameError
from router.providers.catalog import ProviderConfig, load_providers
from router.settings import Settings


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    granted: bool = False


class CrossLoopSemaphore:
    """A FIFO counting semaphore whose waiters may live on different event loops."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a concurrency limit is at least 1")
        self.limit = limit
        self._held = 0
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self._held

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._held < self.limit and not self._waiters:
                self._held += 1
                return
            waiter = _Waiter(loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except asyncio.CancelledError:
            with self._lock:
                if not waiter.granted:
                    self._waiters.remove(waiter)
                    raise
            # Granted: if the slot already arrived it is ours to give back; if it is
            # still on its way, `_deliver` finds the future cancelled and passes it on.
            if waiter.future.done() and not waiter.future.cancelled():
                self.release()
            raise

    def release(self) -> None:
        """Hand the slot to the first waiter (on its own loop), or free it."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                waiter.granted = True
                try:
                    waiter.loop.call_soon_threadsafe(self._deliver, waiter)
                    return
                except RuntimeError:  # its loop is closed: nobody waits there any more
                    continue
            self._held -= 1

    def _deliver(self, waiter: _Waiter) -> None:
        if waiter.future.done():  # cancelled while the slot was on its way
            self.release()
        else:
            waiter.future.set_result(None)


class ProviderLimiter:
    """At most `limit(provider)` requests in flight per provider, across loops and threads.

    The limit of a provider is, first found: ROUTERX_PROVIDER_CONCURRENCY (`openai=8`),
    `max_concurrency` of its routerx.toml endpoint, ROUTERX_MAX_CONCURRENCY (default 4).
    """

    def __init__(
        self,
        providers: Mapping[str, ProviderConfig],
        default: int = 4,
        overrides: Mapping[str, int] | None = None,
    ) -> None:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(providers))
        if unknown:
            raise ConfigError(
                f"ROUTERX_PROVIDER_CONCURRENCY names unknown provider {unknown[0]!r}; "
                f"known: {', '.join(sorted(providers))}"
            )
        self.providers = dict(providers)
        self._limits = {
            name: overrides.get(name) or cfg.max_concurrency or default
            for name, cfg in providers.items()
        }
        self._semaphores = {name: CrossLoopSemaphore(n) for name, n in self._limits.items()}

    @classmethod
    def from_settings(
        cls, settings: Settings, providers: Mapping[str, ProviderConfig] | None = None
    ) -> ProviderLimiter:
        providers = load_providers(settings) if providers is None else providers
        return cls(providers, settings.max_concurrency, settings.provider_concurrency)

    def provider(self, name: str) -> ProviderConfig:
        try:
            return self.providers[name]
        except KeyError:
            raise UnknownNameError("provider", name, self.providers) from None

    def limit(self, provider: str) -> int:
        return self._semaphores[self.provider(provider).name].limit

    def in_flight(self, provider: str) -> int:
        return self._semaphores[self.provider(provider).name].in_use

    @asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        semaphore = self._semaphores[self.provider(provider).name]
        await semaphore.acquire()
        try:
            yield
        finally:
            semaphore.release()


_SHARED: dict[str, ProviderLimiter] = {}
_SHARED_LOCK = threading.Lock()


def _fingerprint(providers: Mapping[str, ProviderConfig], settings: Settings) -> str:
    """A digest of everything a limiter is built from (keys only as part of the hash)."""
    parts = [repr((settings.max_concurrency, sorted(settings.provider_concurrency.items())))]
    for name in sorted(providers):
        cfg = providers[name]
        secrets = cfg.keys.secrets() if cfg.keys else ()
        parts.append(repr((name, cfg.wire, cfg.base_url, cfg.key_env, secrets,
                           cfg.max_concurrency, cfg.skip_reason)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def shared_limiter(settings: Settings) -> ProviderLimiter:
    """The process-wide limiter for this configuration: every task of a run gets the same.

    A changed configuration (another key, base URL or limit) gets its own limiter, so a
    long-lived process never keeps asking with a stale one.
    """
    providers = load_providers(settings)
    key = _fingerprint(providers, settings)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = ProviderLimiter.from_settings(settings, providers)
    return limiter
