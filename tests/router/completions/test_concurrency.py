"""Bounded concurrency per provider, counted where it matters: at the server."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from router.completions import CrossLoopSemaphore, ProviderLimiter, shared_limiter
from router.errors import ConfigError
from router.settings import load_settings
from tests.fakes.http_server import Reply
from tests.router.completions.helpers import ask, limiter
from tests.router.completions.wire import openai_reply


def serve_openai(server, monkeypatch, delay: float = 0.3) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0001")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    server.route("POST", "/v1/chat/completions", Reply(200, openai_reply("ok"), delay=delay))


@pytest.mark.parametrize(("env", "value", "bound"), [
    ("ROUTERX_PROVIDER_CONCURRENCY", "openai=2", 2),
    ("ROUTERX_MAX_CONCURRENCY", "3", 3),
])
async def test_in_flight_requests_never_exceed_the_limit(server, client, monkeypatch,
                                                         env, value, bound) -> None:
    monkeypatch.setenv(env, value)
    serve_openai(server, monkeypatch)
    lim = limiter()
    assert lim.limit("openai") == bound
    done = await asyncio.wait_for(
        asyncio.gather(*(ask("openai/gpt-5.2", client, lim) for _ in range(9))), timeout=20)
    assert len(done) == 9 and len(server.requests) == 9
    assert server.max_in_flight == bound  # reached, never exceeded
    assert lim.in_flight("openai") == 0


async def test_default_limit_is_four(server, client, monkeypatch) -> None:
    serve_openai(server, monkeypatch, delay=0.2)
    lim = limiter()
    await asyncio.gather(*(ask("openai/gpt-5.2", client, lim) for _ in range(10)))
    assert lim.limit("openai") == 4 and server.max_in_flight == 4


def test_one_limiter_bounds_tasks_on_several_threads_and_loops(server, monkeypatch) -> None:
    """As Prefect may run a flow's tasks: each thread has its own event loop."""
    monkeypatch.setenv("ROUTERX_PROVIDER_CONCURRENCY", "openai=2")
    serve_openai(server, monkeypatch, delay=0.2)
    lim = limiter()
    errors: list[BaseException] = []

    async def batch() -> None:
        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(ask("openai/gpt-5.2", client, lim) for _ in range(4)))

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(batch(), timeout=20))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and len(server.requests) == 12
    assert server.max_in_flight == 2
    assert lim.in_flight("openai") == 0


async def test_providers_have_separate_limits(server, client, monkeypatch) -> None:
    monkeypatch.setenv("ROUTERX_MAX_CONCURRENCY", "1")
    serve_openai(server, monkeypatch)
    monkeypatch.setenv("GROQ_API_KEY", "gsk-0001")
    monkeypatch.setenv("GROQ_BASE_URL", f"{server.url}/groq/v1")
    server.route("POST", "/groq/v1/chat/completions", Reply(200, openai_reply("g"), delay=0.3))
    lim = limiter()
    await asyncio.gather(*(ask(m, client, lim) for m in ["openai/a", "openai/b", "groq/c",
                                                         "groq/d"]))
    assert server.max_in_flight == 2  # one per provider


def test_limit_sources_and_their_precedence(monkeypatch, tmp_path) -> None:
    toml = tmp_path / "routerx.toml"
    toml.write_text('[providers.vllm]\nbase_url = "http://127.0.0.1:9/v1"\nmax_concurrency = 1\n'
                    '[providers.lmstudio]\nbase_url = "http://127.0.0.1:9/v1"\n')
    monkeypatch.setenv("ROUTERX_CONFIG", str(toml))
    monkeypatch.setenv("ROUTERX_MAX_CONCURRENCY", "6")
    lim = limiter()
    assert (lim.limit("vllm"), lim.limit("lmstudio"), lim.limit("openai")) == (1, 6, 6)
    monkeypatch.setenv("ROUTERX_PROVIDER_CONCURRENCY", "vllm=3,openai=2")
    lim = limiter()
    assert (lim.limit("vllm"), lim.limit("lmstudio"), lim.limit("openai")) == (3, 6, 2)
    monkeypatch.setenv("ROUTERX_PROVIDER_CONCURRENCY", "opanai=2")
    with pytest.raises(ConfigError, match="ROUTERX_PROVIDER_CONCURRENCY.*'opanai'.*known:"):
        limiter()
    monkeypatch.setenv("ROUTERX_PROVIDER_CONCURRENCY", "openai:2")
    with pytest.raises(ConfigError, match="provider=N"):
        load_settings()


def test_shared_limiter_is_one_per_configuration(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-0001")
    first = shared_limiter(load_settings())
    assert shared_limiter(load_settings()) is first
    assert first.provider("openai").keys is shared_limiter(load_settings()).provider("openai").keys
    monkeypatch.setenv("OPENAI_API_KEY", "sk-b-0002")
    assert shared_limiter(load_settings()) is not first


def test_cross_loop_semaphore_bounds_threads() -> None:
    sem = CrossLoopSemaphore(3)
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    async def worker() -> None:
        await sem.acquire()
        try:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            await asyncio.sleep(0.01)
            with lock:
                state["now"] -= 1
        finally:
            sem.release()

    async def many() -> None:
        await asyncio.gather(*(worker() for _ in range(15)))

    threads = [threading.Thread(target=asyncio.run, args=(many(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert state == {"now": 0, "max": 3} and sem.in_use == 0


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    sem = CrossLoopSemaphore(1)
    await sem.acquire()
    waiting = asyncio.create_task(sem.acquire())
    await asyncio.sleep(0)
    waiting.cancel()  # cancelled while queued
    with pytest.raises(asyncio.CancelledError):
        await waiting
    sem.release()
    assert sem.in_use == 0

    await sem.acquire()
    granted = asyncio.create_task(sem.acquire())
    await asyncio.sleep(0)
    sem.release()       # the slot is on its way to `granted`...
    granted.cancel()    # ...which is cancelled before it arrives
    with pytest.raises(asyncio.CancelledError):
        await granted
    await asyncio.sleep(0)
    assert sem.in_use == 0
    await asyncio.wait_for(sem.acquire(), timeout=1)  # the slot was not lost
    sem.release()


def test_limiter_is_constructible_from_explicit_configs() -> None:
    from router.providers.catalog import ProviderConfig

    lim = ProviderLimiter({"x": ProviderConfig("x", "openai", "http://127.0.0.1:9", None, None,
                                               max_concurrency=5)}, default=2)
    assert lim.limit("x") == 5
