"""The `assess` flow end to end: a loopback provider of known skill, the real sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from benchmarks.simulated import SimulatedModel, SimulatedProvider
from router.discovery import run_discovery
from router.store import get_engine
from router.store.models import Model, Placement, SampleResult
from tests.router.cli.process import child_env
from tests.servers import stopping, wait_until

SKILLED = (SimulatedModel("always", 1.0, 0.01), SimulatedModel("half", 0.5, 0.01),
           SimulatedModel("never", 0.0, 0.01))


def configure(tmp_path: Path, base_url: str, extra: str = "", placement_limit: int = 8) -> None:
    """The loopback provider, its prices, and a placement protocol of the first
    `placement_limit` tasks (a whole-suite run would take minutes here)."""
    config = tmp_path / "routerx.toml"
    config.write_text(f'[providers.simulated]\nbase_url = "{base_url}"\n'
                      '[prices."simulated/*"]\ninput = 1.0\noutput = 2.0\n'
                      f'[placement]\nlimit = {placement_limit}\n' + extra)
    os.environ["ROUTERX_CONFIG"] = str(config)


def discover() -> list[str]:
    return run_discovery(providers=["simulated"]).queued


def test_placements_follow_skill_and_survive_a_429_storm(prefect_harness, tmp_path, monkeypatch):
    from flows.assess import assess

    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "6")
    with SimulatedProvider(SKILLED, rate_limit_every=4) as sim:
        configure(tmp_path, sim.base_url)
        models = discover()
        result = assess(models=models, benchmarks=["humaneval"], limit=8,
                        export_dir=str(tmp_path / "exports"))
    assert sim.rate_limited >= 5  # the storm happened, and was ridden out
    statuses = {m: r["status"] for m, r in result["models"].items()}
    assert statuses == dict.fromkeys(models, "assessed")
    p1 = {m: r["benchmarks"]["humaneval"]["pass_at_1"] for m, r in result["models"].items()}
    assert p1["simulated/always"] == 1.0 and p1["simulated/never"] == 0.0
    with Session(get_engine()) as s:
        order = [p.model_id for p in s.exec(select(Placement).where(
            Placement.category == "code-generation").order_by(Placement.layer,
                                                             Placement.rank_score.desc()))]
        assert s.exec(select(func.count()).select_from(SampleResult)).one() == 24
    assert order == ["simulated/always", "simulated/half", "simulated/never"]
    tables = json.loads((tmp_path / "exports" / "fallback-tables.json").read_text())
    assert tables["categories"]["code-generation"]["models"] == order
    cost = result["models"]["simulated/always"]["benchmarks"]["humaneval"]["cost_per_solved_usd"]
    assert cost is not None and cost > 0


def test_a_dead_provider_fails_only_its_models(prefect_harness, tmp_path, monkeypatch):
    from flows.assess import assess

    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    monkeypatch.setenv("ROUTERX_HTTP_RETRY_MAX_SECONDS", "2")
    with SimulatedProvider(SKILLED[:1]) as sim:
        # `dead` answers nothing: a closed port on this machine.
        configure(tmp_path, sim.base_url, '[providers.dead]\nbase_url = "http://127.0.0.1:9/v1"\n')
        models = discover()
        with Session(get_engine()) as s:
            now = s.get(Model, models[0]).first_seen
            s.add(Model(id="dead/ghost", provider="dead", name="ghost", first_seen=now,
                        last_seen=now))
            s.commit()
        result = assess(models=["simulated/always", "dead/ghost"], benchmarks=["humaneval"],
                        limit=3)
    assert result["models"]["simulated/always"]["status"] == "assessed"
    ghost = result["models"]["dead/ghost"]
    assert ghost["status"] == "failed" and "dead" in ghost["reason"]
    assert "cannot connect" in ghost["reason"]


def test_invalid_parameters_are_refused(prefect_harness) -> None:
    from prefect.exceptions import ParameterTypeError

    from flows.assess import assess

    with pytest.raises(ParameterTypeError, match="samples"):
        assess(models=["x/y"], samples=0)
    with pytest.raises(ParameterTypeError, match="benchmarks"):
        assess(models=["x/y"], benchmarks=["humaneva"])


@pytest.mark.slow
def test_killed_assessment_resumes_without_asking_twice(tmp_path, monkeypatch) -> None:
    """Kill `routerx assess` mid-run, rerun it: every sample is stored once, and only
    the samples in flight at the kill were asked for a second time."""
    slow = (SimulatedModel("slowpoke", 0.5, 0.25),)
    with SimulatedProvider(slow) as sim:
        configure(tmp_path, sim.base_url)
        discover()
        env = child_env({"ROUTERX_MAX_CONCURRENCY": "2"})
        argv = [sys.executable, "-m", "router", "assess", "simulated/slowpoke", "-b",
                "humaneval", "--limit", "12", "--json"]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

        def stored() -> int:
            try:
                with Session(get_engine()) as s:
                    return s.exec(select(func.count()).select_from(SampleResult)).one()
            except Exception:  # noqa: BLE001 - the store may not exist yet
                return 0

        with stopping(proc, signum=signal.SIGKILL):
            wait_until(lambda: stored() >= 4, 240, "the assessment to store 4 samples")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with Session(get_engine()) as s:
            kept = set(s.exec(select(SampleResult.task_id)).all())
        assert len(kept) < 12
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        summary = json.loads(done.stdout)
    assert summary["models"]["simulated/slowpoke"]["status"] == "assessed"
    with Session(get_engine()) as s:
        rows = s.exec(select(SampleResult.task_id, SampleResult.sample_index)).all()
    assert len(rows) == 12 == len(set(rows))
    # Asked twice: only samples in flight at the kill (asked, not yet stored). Under load
    # that is more than the 2 concurrent requests, as answers wait for the sandbox.
    repeated = {task for (_, task, _), n in sim.asked.items() if n > 1}
    assert not repeated & kept


def test_the_flow_offers_every_registered_benchmark() -> None:
    """The `benchmarks` parameter (and so the Prefect UI's form) is derived from the
    registry, and its default is the registered default suite."""
    import inspect
    import typing

    from benchmarks.registry import benchmark_names, default_benchmarks
    from flows.assess import BenchmarkName, assess

    assert set(typing.get_args(BenchmarkName)) == set(benchmark_names())
    assert inspect.signature(assess.fn).parameters["benchmarks"].default == default_benchmarks()
