"""Assessment speed: a provider that answers every request after 1 s, concurrency C.

Target (issue 4): assessing one model on N tasks takes at most 1.25 x ceil(N / C) s.
Prints, measured side by side in one run:
- the `assess` Prefect flow's wall time for N tasks, the ideal ceil(N/C) x 1 s, and
  their ratio (the efficiency ratio);
- the same N samples through the plain shard function without Prefect, so the
  difference divided by N is Prefect's overhead per sample.
The Prefect server start-up is paid before timing (a warm-up flow run).

Run: python scripts/bench_assess.py [--n 24] [--c 4]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--c", type=int, default=4)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="routerx-bench-assess-"))
    os.environ.update({
        "XDG_DATA_HOME": str(work / "data"), "XDG_CACHE_HOME": str(work / "cache"),
        "ROUTERX_MODELS_DEV_URL": "", "ROUTERX_MAX_CONCURRENCY": str(args.c),
    })
    from router.cli.prefect_env import prefect_defaults

    prefect_defaults()
    from benchmarks.assessment.execute import assess_shard
    from benchmarks.assessment.params import AssessParams
    from benchmarks.assessment.runs import open_run, work_items
    from benchmarks.simulated import SimulatedModel, SimulatedProvider
    from flows.assess import assess
    from router.discovery import run_discovery

    models = (SimulatedModel("warmup", 1.0, 0.0), SimulatedModel("timed", 0.5, args.delay),
              SimulatedModel("plain", 0.5, args.delay))
    with SimulatedProvider(models) as sim:
        (work / "routerx.toml").write_text(
            f'[providers.simulated]\nbase_url = "{sim.base_url}"\n')
        os.environ["ROUTERX_CONFIG"] = str(work / "routerx.toml")
        run_discovery(providers=["simulated"])
        assess(models=["simulated/warmup"], benchmarks=["humaneval"], limit=2)

        started = time.perf_counter()
        assess(models=["simulated/timed"], benchmarks=["humaneval"], limit=args.n,
               shard_size=max(1, args.n // 2))
        flow_s = time.perf_counter() - started
        started = time.perf_counter()
        assess(models=["simulated/timed"], benchmarks=["humaneval"], limit=args.n,
               shard_size=max(1, args.n // 2), seed=1, report=False)
        bare_s = time.perf_counter() - started

        params = AssessParams(benchmarks=["humaneval"], limit=args.n)
        run = open_run("simulated/plain", "humaneval", params)  # same N samples, no Prefect
        started = time.perf_counter()
        asyncio.run(assess_shard(run, work_items(run, 1), params))
        plain_s = time.perf_counter() - started

    ideal = math.ceil(args.n / args.c) * args.delay
    print(f"N={args.n} tasks, C={args.c}, provider delay {args.delay:.1f} s")
    print(f"assess flow: {flow_s:.2f} s; ideal ceil(N/C) x delay = {ideal:.2f} s; "
          f"ratio {flow_s / ideal:.3f} (target <= 1.25)")
    print(f"assess flow without the HTML report's charts (report=False): {bare_s:.2f} s; "
          f"ratio {bare_s / ideal:.3f}")
    print(f"plain shard function, no Prefect: {plain_s:.2f} s (ratio {plain_s / ideal:.3f}); "
          f"Prefect overhead per sample: {(bare_s - plain_s) / args.n * 1000:.0f} ms")


if __name__ == "__main__":
    main()
