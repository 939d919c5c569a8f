"""Benchmark of the HTTP API: `GET /v1/route` throughput and latency over loopback.

Target (issue 5): at least 2,000 route requests per second with one uvicorn worker on
two cores, p99 at most 5 ms. The server is the real `routerx serve` in a subprocess
(one worker, 127.0.0.1, a temporary SQLite store seeded with 16 models, exploration on
at the balanced 20%). The load generator is pure Python: asyncio streams speaking
HTTP/1.1 keep-alive over a few connections, one request in flight per connection, so
latency is measured per request and queueing stays honest. Client and server share the
same two cores, so the figures are a lower bound for a dedicated server.

Example:
    python scripts/bench_http.py                   # 10 s of load after 2 s of warm-up
    python scripts/bench_http.py --connections 8 --seconds 20 --json
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

CATEGORY = "code-generation"
RPS_TARGET = 2000.0
P99_TARGET_MS = 5.0


def seed(url: str, models: int) -> None:
    from router.exploration import write_exploration

    doc = {CATEGORY: [
        {"model": f"prov{i % 4}/model-{i:02d}", "layer": 1 + i // 3, "score": 1 - i / 100,
         "provisional": False, "pass_rate": 0.85 - 0.03 * i}
        for i in range(models)
    ]}
    with session_scope(url) as s:
        import_placements(s, parse_placements(doc), source="bench.json")
        write_exploration(s, active=True, mode="balanced", budget=20)
    dispose_engines()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _load(port: int, payload: bytes, connections: int, warmup: float,
                seconds: float) -> tuple[np.ndarray, int]:
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        clock = time.perf_counter
        try:
            while True:
                t0 = clock()
                if t0 >= stop:
                    return
                status = await _request(reader, writer, payload)
                t1 = clock()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if status != 200 and status != 201:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return np.asarray(latencies), errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(port: int, payload: bytes, connections: int, warmup: float,
              seconds: float, server_pid: int) -> dict[str, float]:
    try:  # the client shares the cores with the server: the faster loop, the fairer test
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    before = cpu_seconds(server_pid)
    lat, errors = run(_load(port, payload, connections, warmup, seconds))
    server_cpu = cpu_seconds(server_pid) - before  # includes the warm-up's requests
    p50, p99, p999 = np.percentile(lat * 1000, [50, 99, 99.9])
    total = lat.size * (warmup + seconds) / seconds  # requests served, warm-up included
    cpu_us = server_cpu / total * 1e6
    return {"requests": int(lat.size), "errors": errors, "per_second": lat.size / seconds,
            "p50_ms": float(p50), "p99_ms": float(p99), "p99.9_ms": float(p999),
            "server_cpu_us_per_request": cpu_us,
            "server_capacity_per_cpu_second": 1e6 / cpu_us if cpu_us else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--models", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seed(url, args.models)
        port = free_port()
        env = {**os.environ, "ROUTERX_DATABASE_URL": url, "XDG_DATA_HOME": tmp}
        env.pop("ROUTERX_API_TOKEN", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "router", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        why = server.stderr.read() if server.stderr else b""
                        raise SystemExit(f"server did not start: {why!r}") from None
                    time.sleep(0.1)
            route = (f"GET /v1/route?category={CATEGORY} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "\r\n").encode()
            routes = run_phase(port, route, args.connections, args.warmup, args.seconds,
                               server.pid)
            body = json.dumps({"model": "prov0/model-00", "category": CATEGORY,
                               "success": True, "latency_ms": 1234.0}).encode()
            post = (f"POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                    f"application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
            outcomes = run_phase(port, post, args.connections, 0.5, min(args.seconds, 3.0),
                                 server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = {
        "connections": args.connections,
        "load_average_1min": os.getloadavg()[0],
        "route": routes,
        "outcome_posts_one_each": outcomes,
        "ratios": {"route_rps_vs_2000": routes["per_second"] / RPS_TARGET,
                   "route_p99_vs_5ms": routes["p99_ms"] / P99_TARGET_MS},
        "targets_met": {"rps>=2000": routes["per_second"] >= RPS_TARGET,
                        "p99<=5ms": routes["p99_ms"] <= P99_TARGET_MS,
                        "no_errors": routes["errors"] == 0},
    }
    if args.json:
        print(json.dumps(report))
        return 0
    for name in ("route", "outcome_posts_one_each"):
        r = report[name]
        print(f"{name:<24} {r['per_second']:8,.0f} req/s  p50 {r['p50_ms']:.2f} ms  "
              f"p99 {r['p99_ms']:.2f} ms  p99.9 {r['p99.9_ms']:.2f} ms  "
              f"({r['requests']:,} requests, {r['errors']} errors, {args.connections} conns); "
              f"server CPU {r['server_cpu_us_per_request']:.0f} us/request = "
              f"{r['server_capacity_per_cpu_second']:,.0f} req per CPU second")
    ratios = report["ratios"]
    print(f"route req/s / 2,000 target: {ratios['route_rps_vs_2000']:.2f}   "
          f"route p99 / 5 ms target: {ratios['route_p99_vs_5ms']:.2f}")
    print(f"targets met: {report['targets_met']}  "
          f"(1-min load average {report['load_average_1min']:.2f} on {os.cpu_count()} cores)")
    return 0 if all(report["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
