"""Benchmark of the routing endpoint: what routerx adds to a streamed chat completion.

Targets (issue 13): added latency versus calling the same loopback provider directly
p50 <= 0.5 ms and p99 <= 2 ms at 100 concurrent streaming requests, time to first token
added <= 1 ms p99; 1,000 concurrent streams held without errors or unbounded memory.

Setup, all on 127.0.0.1: a fake OpenAI-compatible provider (raw asyncio, streaming
`--chunks` SSE chunks `--gap-ms` apart, first one after `--first-ms`), the real
`routerx serve` in a subprocess in front of it (one worker, a temporary SQLite store with
one placed model), and a raw asyncio HTTP/1.1 client. Direct and routed phases alternate
(`--rounds` of each) so machine load hits both alike; the added latency is the
difference of the percentiles of the pooled samples. Client, provider and server share
the machine's cores: the figures include that contention.

Example:
    python scripts/bench_proxy.py                       # 100 concurrent, 3 rounds of 5 s each
    python scripts/bench_proxy.py --held 1000 --json    # and 1,000 concurrent streams held
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from router.placements import import_placements, parse_placements
from router.store import dispose_engines, session_scope

MODEL = "openai/bench-model"
TARGETS = {"added_p50_ms": 0.5, "added_p99_ms": 2.0, "added_ttft_p99_ms": 1.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def provider(port: int, chunks: int, gap: float, first: float) -> asyncio.Server:
    """A fake OpenAI-compatible provider that streams `chunks` chunks per request."""
    piece = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench-model",
             "choices": [{"index": 0, "delta": {"content": "token "}, "finish_reason": None}]}
    data = b"data: " + json.dumps(piece).encode() + b"\n\n"
    usage = {**piece, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": chunks,
                                               "total_tokens": 10 + chunks}}
    tail = b"data: " + json.dumps(usage).encode() + b"\n\ndata: [DONE]\n\n"

    def chunk(b: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(b), b)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                             b"transfer-encoding: chunked\r\n\r\n")
                await asyncio.sleep(first)
                for i in range(chunks):
                    if i:
                        await asyncio.sleep(gap)
                    writer.write(chunk(data))
                    await writer.drain()
                writer.write(chunk(tail) + b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)


async def stream_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      payload: bytes) -> tuple[float, float, int]:
    """(time to first body chunk, total time, status) of one streamed request."""
    t0 = time.perf_counter()
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    ttft = None
    while True:
        size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if ttft is None:
            ttft = time.perf_counter() - t0
        if size == 0:
            break
    return ttft or 0.0, time.perf_counter() - t0, status


def request(port: int, path: str) -> bytes:
    body = json.dumps({"model": "routerx/auto" if "chat" in path else "bench-model",
                       "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json"
            f"\r\nAuthorization: Bearer bench\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def phase(port: int, path: str, concurrency: int, seconds: float
                ) -> tuple[list[float], list[float], int]:
    payload = request(port, path)
    ttfts: list[float] = []
    totals: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                ttft, total, status = await stream_once(reader, writer, payload)
                if status != 200:
                    errors += 1
                ttfts.append(ttft)
                totals.append(total)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ttfts, totals, errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def held(port: int, n: int, pid: int) -> dict[str, float]:
    """`n` streams open at once through routerx, twice: errors and memory after each."""
    out: dict[str, float] = {"rss_before_mb": rss_mb(pid)}
    for round_ in (1, 2):
        results = await asyncio.gather(*(phase(port, "/v1/chat/completions", 1, 0.0)
                                         for _ in range(n)), return_exceptions=True)
        errors = sum(1 for r in results if isinstance(r, BaseException) or r[2])
        out[f"round{round_}_errors"] = errors
        out[f"round{round_}_rss_mb"] = rss_mb(pid)
    return out


def pct(values: list[float]) -> tuple[float, float]:
    p50, p99 = np.percentile(np.asarray(values) * 1000, [50, 99])
    return float(p50), float(p99)


async def run(args: argparse.Namespace, router_port: int, provider_port: int, pid: int
              ) -> dict[str, object]:
    fake = await provider(provider_port, args.chunks, args.gap_ms / 1000, args.first_ms / 1000)
    try:
        await phase(router_port, "/v1/chat/completions", 4, 1.0)  # warm-up
        await phase(provider_port, "/v1/chat/completions", 4, 0.5)
        direct: list[list[float]] = [[], []]
        routed: list[list[float]] = [[], []]
        errors = 0
        server_cpu = 0.0
        for _ in range(args.rounds):
            for target, into in ((provider_port, direct), (router_port, routed)):
                before = cpu_seconds(pid)
                ttft, total, errs = await phase(target, "/v1/chat/completions",
                                                args.concurrency, args.seconds)
                if target == router_port:
                    server_cpu += cpu_seconds(pid) - before
                into[0] += ttft
                into[1] += total
                errors += errs
        d50, d99 = pct(direct[1])
        r50, r99 = pct(routed[1])
        dt50, dt99 = pct(direct[0])
        rt50, rt99 = pct(routed[0])
        report: dict[str, object] = {
            "concurrency": args.concurrency, "errors": errors,
            "requests": {"direct": len(direct[1]), "routed": len(routed[1])},
            "total_ms": {"direct_p50": d50, "direct_p99": d99, "routed_p50": r50,
                         "routed_p99": r99},
            "ttft_ms": {"direct_p50": dt50, "direct_p99": dt99, "routed_p50": rt50,
                        "routed_p99": rt99},
            "added_p50_ms": r50 - d50, "added_p99_ms": r99 - d99,
            "added_ttft_p99_ms": rt99 - dt99,
            "server_cpu_us_per_routed_stream": server_cpu / max(1, len(routed[1])) * 1e6,
        }
        if args.held:
            report["held"] = await held(router_port, args.held, pid)
        return report
    finally:
        fake.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=5.0)
    parser.add_argument("--first-ms", type=float, default=20.0)
    parser.add_argument("--held", type=int, default=0, help="also hold N streams at once")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with session_scope(url) as s:
            import_placements(s, parse_placements({"code-generation": [
                {"model": MODEL, "layer": 1, "score": 1.0, "provisional": False,
                 "pass_rate": 0.8}]}), source="bench.json")
        dispose_engines()
        router_port, provider_port = free_port(), free_port()
        env = {**os.environ, "ROUTERX_DATABASE_URL": url, "XDG_DATA_HOME": tmp,
               "OPENAI_API_KEY": "bench-key", "ROUTERX_MODELS_DEV_URL": "",
               "OPENAI_BASE_URL": f"http://127.0.0.1:{provider_port}/v1"}
        env.pop("ROUTERX_API_TOKEN", None)
        command = os.environ.get("ROUTERX_BENCH_SERVER", "-m router serve --port").split()
        server = subprocess.Popen(
            [sys.executable, *command, str(router_port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", router_port), timeout=1):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        why = server.stderr.read() if server.stderr else b""
                        raise SystemExit(f"server did not start: {why!r}") from None
                    time.sleep(0.1)
            try:
                import uvloop
                runner = uvloop.run
            except ImportError:
                runner = asyncio.run
            report = runner(run(args, router_port, provider_port, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    report["load_average_1min"] = os.getloadavg()[0]
    report["targets_met"] = {k: report[k] <= v for k, v in TARGETS.items()}  # type: ignore[operator]
    if args.json:
        print(json.dumps(report))
    else:
        t, f = report["total_ms"], report["ttft_ms"]
        print(f"{args.concurrency} concurrent streams, {report['requests']} requests, "
              f"{report['errors']} errors")
        print(f"total  direct p50 {t['direct_p50']:.2f} p99 {t['direct_p99']:.2f} ms | "
              f"routed p50 {t['routed_p50']:.2f} p99 {t['routed_p99']:.2f} ms | added p50 "
              f"{report['added_p50_ms']:.2f} p99 {report['added_p99_ms']:.2f} ms")
        print(f"ttft   direct p50 {f['direct_p50']:.2f} p99 {f['direct_p99']:.2f} ms | "
              f"routed p50 {f['routed_p50']:.2f} p99 {f['routed_p99']:.2f} ms | added p99 "
              f"{report['added_ttft_p99_ms']:.2f} ms")
        print(f"routerx CPU per streamed request: "
              f"{report['server_cpu_us_per_routed_stream']:.0f} us ({args.chunks} chunks)")
        if "held" in report:
            print(f"held {args.held} streams: {report['held']}")
        print(f"targets met: {report['targets_met']} (load {report['load_average_1min']:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
