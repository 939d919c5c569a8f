"""Benchmark of the in-process router: route() latency, record_many() throughput, and
what `import router` costs.

Targets (issue 5): route() with exploration on and 16 candidate models, p99 at most
50 microseconds; record() at least 20,000 outcomes per second in batches into SQLite.
Everything runs against a real SQLite store in a temporary directory, seeded the way a
team would (`placements import`), with the default refresh interval, so the store's
version check is part of what is timed.

Example:
    python scripts/bench_route.py            # ~30 s
    python scripts/bench_route.py --routes 50000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from router.placements import import_placements, parse_placements
from router.router import Router
from router.store import session_scope

CATEGORY = "code-generation"
ROUTE_TARGET_US = 50.0
RECORD_TARGET_PER_S = 20_000.0


def seed_store(url: str, models: int) -> list[str]:
    ids = [f"prov{i % 4}/model-{i:02d}:8b" for i in range(models)]
    doc = {CATEGORY: [
        {"model": m, "layer": 1 + i // 3, "score": 1.0 - i / 100, "provisional": False,
         "pass_rate": 0.85 - i * 0.03}
        for i, m in enumerate(ids)
    ]}
    with session_scope(url) as s:
        import_placements(s, parse_placements(doc), source="bench.json")
    return ids


def time_routes(router: Router, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-call wall time and thread CPU time, in microseconds.

    CPU time leaves out the time the thread sat preempted, so on a machine shared with
    other work it shows what routing itself costs; wall time is what a caller sees.
    """
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    route = router.route
    walls, cpus = np.empty(n), np.empty(n)
    for i in range(n):
        c0 = cpu()
        t0 = wall()
        route(CATEGORY)
        walls[i] = wall() - t0
        cpus[i] = cpu() - c0
    return walls / 1000.0, cpus / 1000.0


def summarise(times: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    wall, cpu = times
    p50, p99, p999 = np.percentile(wall, [50, 99, 99.9])
    c50, c99 = np.percentile(cpu, [50, 99])
    return {"mean_us": float(wall.mean()), "p50_us": float(p50), "p99_us": float(p99),
            "p99.9_us": float(p999), "cpu_p50_us": float(c50), "cpu_p99_us": float(c99)}


def bench_record(router: Router, ids: list[str], total: int, batch: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(total // batch):
        models = rng.integers(0, len(ids), batch)
        ok = rng.random(batch) < 0.7
        latency = rng.lognormal(7, 0.5, batch)
        cost = rng.lognormal(-5, 0.7, batch)
        batches.append([
            {"model": ids[m], "category": CATEGORY, "success": bool(s),
             "latency_ms": float(lat), "cost_usd": float(c), "tokens_in": 1200,
             "tokens_out": 300}
            for m, s, lat, c in zip(models, ok, latency, cost, strict=True)
        ])
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches:
        router.record_many(b)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    single_n = 500
    t1 = time.perf_counter()
    for i in range(single_n):
        router.record(ids[i % len(ids)], category=CATEGORY, success=True, latency_ms=900.0)
    single = time.perf_counter() - t1
    return {"batch_size": batch, "outcomes": len(batches) * batch,
            "per_second": len(batches) * batch / elapsed,
            "per_cpu_second": len(batches) * batch / cpu,
            "single_record_per_second": single_n / single}


def import_ms(statement: str, repeats: int = 7) -> float:
    """Median wall time of `statement` in a fresh interpreter, in ms."""
    code = ("import time; t = time.perf_counter(); " + statement +
            "; import sys; assert 'prefect' not in sys.modules; "
            "print((time.perf_counter() - t) * 1000)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(repeats)]
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=16)
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        ids = seed_store(url, args.models)
        router = Router(url, seed=0)
        time_routes(router, 2000)  # warm up (fallback only)
        off = summarise(time_routes(router, args.routes))
        router.activate("balanced", 20)
        time_routes(router, 2000)
        on = summarise(time_routes(router, args.routes))
        router.activate("aggressive", 100)
        thompson_only = summarise(time_routes(router, args.routes // 4))
        router.activate("balanced", 20)
        record = bench_record(router, ids, args.outcomes, args.batch)
        # routing still as fast once 100k outcomes shaped the posteriors
        after = summarise(time_routes(router, args.routes // 4))
    report = {
        "models": args.models,
        "load_average_1min": os.getloadavg()[0],
        "route_exploration_off": off,
        "route_exploration_on_budget_20": on,
        "route_thompson_every_route": thompson_only,
        "route_after_learning": after,
        "record": record,
        "import_ms": {
            "import router": import_ms("import router"),
            "from router import Router": import_ms("from router import Router"),
            "python -c pass (baseline)": import_ms("pass"),
        },
    }
    report["ratios"] = {
        "route_p99_vs_50us": on["p99_us"] / ROUTE_TARGET_US,
        "record_rate_vs_20000": record["per_second"] / RECORD_TARGET_PER_S,
    }
    report["targets_met"] = {
        "route_p99<=50us": on["p99_us"] <= ROUTE_TARGET_US,
        "record>=20000/s": record["per_second"] >= RECORD_TARGET_PER_S,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"route() with {args.models} candidates, {args.routes} calls each (microseconds):")
    for name in ("route_exploration_off", "route_exploration_on_budget_20",
                 "route_thompson_every_route", "route_after_learning"):
        s = report[name]
        print(f"  {name:<32} mean {s['mean_us']:6.1f}  p50 {s['p50_us']:6.1f}  "
              f"p99 {s['p99_us']:6.1f}  p99.9 {s['p99.9_us']:7.1f}   CPU time: "
              f"p50 {s['cpu_p50_us']:5.1f}  p99 {s['cpu_p99_us']:6.1f}")
    print(f"record_many(): {record['per_second']:,.0f} outcomes/s in batches of "
          f"{record['batch_size']} ({record['outcomes']:,} outcomes into SQLite; "
          f"{record['per_cpu_second']:,.0f} per CPU second); "
          f"record() one at a time: {record['single_record_per_second']:,.0f}/s")
    for name, ms in report["import_ms"].items():
        print(f"  {name:<28} {ms:7.1f} ms (median of 7 fresh interpreters)")
    r = report["ratios"]
    print(f"route p99 / 50 us target: {r['route_p99_vs_50us']:.2f}   "
          f"record rate / 20,000 target: {r['record_rate_vs_20000']:.2f}")
    print(f"targets met: {report['targets_met']}  "
          f"(1-min load average {report['load_average_1min']:.2f} on {os.cpu_count()} cores)")
    return 0 if all(report["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
