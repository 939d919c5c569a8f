"""What the Prefect deployments cost, measured side by side against a real server.

Prints, in one run on loopback (a temporary `prefect server start`, `routerx deploy
--serve`, the simulated provider):
- seconds until the server answers /api/health, and until the four deployments are served;
- a discover/session-start run: creation to Completed;
- from that run's end to the first assess/on-discovery run the trigger created
  (event -> automation -> run latency);
- the same small assessment (HumanEval, first N tasks, one model) as `routerx assess`
  in a process of its own next to an assess/manual run through the server (what the
  UI's Run button does), and their ratio.

Run: python scripts/bench_deployments.py [--limit 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from benchmarks.simulated import SimulatedProvider  # noqa: E402
from tests.deployments.conftest import (  # noqa: E402
    DEPLOYMENTS,
    base_env,
    running_prefect_server,
    stop,
    write_simulated_config,
)


def wait(check, timeout: float, interval: float = 0.2):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(interval)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    t0 = time.monotonic()
    with running_prefect_server(home) as server, SimulatedProvider() as provider:
        health_s = time.monotonic() - t0
        api = server.url
        config = write_simulated_config(home / "routerx.toml", provider.base_url)
        env = base_env(home) | {"PREFECT_API_URL": api, "ROUTERX_CONFIG": str(config),
                                "ROUTERX_DATABASE_URL": f"sqlite:///{home / 'store.db'}"}
        t1 = time.monotonic()
        serve = subprocess.Popen(
            [sys.executable, "-m", "router", "deploy", "--serve", "-b", "humaneval",
             "--limit", "3"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        try:
            wait(lambda: all(httpx.get(f"{api}/deployments/name/{d}").status_code == 200
                             for d in DEPLOYMENTS), 180)
            serve_s = time.monotonic() - t1
            dep = {d: httpx.get(f"{api}/deployments/name/{d}").json()["id"] for d in DEPLOYMENTS}

            def run(name: str, parameters: dict) -> tuple[str, float]:
                start = time.monotonic()
                created = httpx.post(f"{api}/deployments/{dep[name]}/create_flow_run",
                                     json={"parameters": parameters}).json()
                state = wait(lambda: (s := httpx.get(f"{api}/flow_runs/{created['id']}")
                                      .json()["state"]["type"])
                             in ("COMPLETED", "FAILED", "CRASHED") and s, 600)
                return state, time.monotonic() - start

            state, discover_s = run("discover/session-start",
                                    {"providers": ["simulated"], "if_stale_seconds": None})
            ended = time.monotonic()

            def triggered() -> bool:
                runs = httpx.post(f"{api}/flow_runs/filter", json={"deployments": {
                    "id": {"any_": [dep["assess/on-discovery"]]}}}).json()
                return bool(runs)

            wait(triggered, 120, 0.05)
            trigger_s = time.monotonic() - ended
            wait(lambda: all(r["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED")
                             for r in httpx.post(f"{api}/flow_runs/filter", json={
                                 "deployments": {"id": {"any_": [dep["assess/on-discovery"]]}}
                             }).json()) or None, 900, 1)

            params = {"benchmarks": ["humaneval"], "limit": args.limit, "samples": 1,
                      "seed": 101}
            start = time.monotonic()
            cli = subprocess.run(
                [sys.executable, "-m", "router", "assess", "simulated/sim-solid",
                 "--benchmark", "humaneval", "--limit", str(args.limit), "--seed", "101",
                 "--json"], env=env, capture_output=True, text=True, timeout=900)
            cli_s = time.monotonic() - start
            manual_state, manual_s = run("assess/manual",
                                         params | {"models": ["simulated/sim-fair"]})
        finally:
            stop(serve)
    print(f"prefect server start -> /api/health      {health_s:6.1f} s")
    print(f"routerx deploy --serve -> 4 deployments  {serve_s:6.1f} s")
    print(f"discover/session-start run ({state.lower()})  {discover_s:6.1f} s")
    print(f"run end -> first on-discovery run        {trigger_s:6.1f} s")
    cli_state = "ok" if cli.returncode == 0 else "FAILED"
    print(f"assess, {args.limit} tasks, `routerx assess` ({cli_state})    {cli_s:6.1f} s")
    print(f"assess, {args.limit} tasks, assess/manual ({manual_state.lower()})   {manual_s:6.1f} s")
    print(f"ratio deployment / own process           {manual_s / cli_s:6.2f}")
    if os.environ.get("KEEP") is None:
        import shutil

        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
