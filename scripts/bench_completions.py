"""Completion layer speed: the concurrency bound's efficiency and the per-request overhead.

Prints, measured side by side in one run against a loopback provider:
- N requests to a provider answering after D seconds, with a limit of C in flight, on one
  event loop and on three threads with their own loops sharing one limiter: wall time
  next to the ideal ceil(N / C) x D (the issue's target for a whole assessment: at most
  1.25 x), and the most requests the server saw in flight (must equal C);
- per-request cost of `complete()` (limiter, retries wrapper, wire format, parsing) next
  to bare `httpx` posts to the same instant-answer server.

Run: python scripts/bench_completions.py [--n 16] [--c 4] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from router.completions import ProviderLimiter, complete  # noqa: E402
from router.settings import load_settings  # noqa: E402
from tests.fakes.http_server import FakeHTTPServer, Reply  # noqa: E402

ANSWER = {"choices": [{"index": 0, "finish_reason": "stop",
                       "message": {"role": "assistant", "content": "return a + b"}}],
          "usage": {"prompt_tokens": 20, "completion_tokens": 5}}
MESSAGES = [{"role": "user", "content": "Write add(a, b)."}]


async def ask_many(n: int, lim: ProviderLimiter) -> None:
    settings = load_settings()
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(
            complete("openai/m", MESSAGES, temperature=0.0, max_tokens=64, client=client,
                     limiter=lim, settings=settings)
            for _ in range(n)
        ))


def bounded(server: FakeHTTPServer, n: int, c: int, delay: float, threads: int) -> None:
    server.route("POST", "/v1/chat/completions", Reply(200, ANSWER, delay=delay))
    server.max_in_flight = 0
    lim = ProviderLimiter.from_settings(load_settings())
    per_thread = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    started = time.perf_counter()
    workers = [threading.Thread(target=asyncio.run, args=(ask_many(k, lim),))
               for k in per_thread]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    ideal = math.ceil(n / c) * delay
    print(f"  {threads} loop(s): N={n} C={c} D={delay:.1f}s  wall {wall:6.2f} s  "
          f"ideal {ideal:5.2f} s  ratio {wall / ideal:.3f}  max in flight {server.max_in_flight}")


async def overhead(server: FakeHTTPServer, n: int, rounds: int = 7) -> None:
    """Bare and full requests in alternating rounds; medians, so load noise cancels."""
    server.route("POST", "/v1/chat/completions", Reply(200, ANSWER))
    settings = load_settings()
    lim = ProviderLimiter.from_settings(settings)
    url = f"{server.url}/v1/chat/completions"
    bare_times: list[float] = []
    ours_times: list[float] = []
    async with httpx.AsyncClient() as client:
        for i in range(rounds + 1):
            t0 = time.perf_counter()
            for _ in range(n):
                r = await client.post(url, json={"model": "m", "messages": MESSAGES},
                                      headers={"Authorization": "Bearer sk-bench"})
                r.json()
            bare = (time.perf_counter() - t0) / n
            t0 = time.perf_counter()
            for _ in range(n):
                await complete("openai/m", MESSAGES, temperature=0.0, max_tokens=64,
                               client=client, limiter=lim, settings=settings)
            ours = (time.perf_counter() - t0) / n
            if i:  # the first round warms up
                bare_times.append(bare)
                ours_times.append(ours)
    bare, ours = statistics.median(bare_times), statistics.median(ours_times)
    print(f"  sequential, {rounds} x {n} each: bare httpx {bare * 1e3:.3f} ms/request, "
          f"complete() {ours * 1e3:.3f} ms/request (medians), "
          f"overhead {(ours - bare) * 1e3:.3f} ms ({ours / bare:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--c", type=int, default=4)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeHTTPServer() as server:
        os.environ.update({
            "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": f"{server.url}/v1",
            "ROUTERX_PROVIDER_CONCURRENCY": f"openai={args.c}",
            "ROUTERX_CONFIG": str(Path(tmp) / "none.toml"),
        })
        Path(tmp, "none.toml").write_text("")
        print("Concurrency bound (provider answers after D seconds):")
        bounded(server, args.n, args.c, args.delay, threads=1)
        bounded(server, args.n, args.c, args.delay, threads=3)
        print("Per-request overhead (instant answers):")
        asyncio.run(overhead(server, 100))


if __name__ == "__main__":
    main()
