"""Scaling out: concurrent assessments into one PostgreSQL store; the fan-out on Dask."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from benchmarks.simulated import SimulatedProvider
from router.cli.orphan_guard import command as guarded
from router.discovery import run_discovery
from router.store import get_engine
from router.store.models import BenchmarkRun, Placement, SampleResult
from tests.conftest import postgres_schema
from tests.deployments.conftest import write_simulated_config
from tests.router.cli.process import child_env
from tests.servers import stopping


@pytest.fixture
def postgres_store() -> Iterator[str]:
    """An empty schema of the machine's PostgreSQL, dropped afterwards."""
    with postgres_schema() as url:
        yield url


def _samples_by_run(url: str) -> dict[str, list[tuple[str, int]]]:
    with Session(get_engine(url)) as s:
        rows = s.exec(select(BenchmarkRun.model_id, SampleResult.task_id,
                             SampleResult.sample_index)
                      .join(SampleResult, SampleResult.run_id == BenchmarkRun.id)).all()
    by_run: dict[str, list[tuple[str, int]]] = {}
    for model_id, task_id, index in rows:
        by_run.setdefault(model_id, []).append((task_id, index))
    return by_run


@pytest.mark.slow
@pytest.mark.postgres
def test_two_assessments_at_once_into_one_postgres_store(postgres_store: str, prefect_api: str,
                                                         tmp_path: Path) -> None:
    limit, samples = 6, 2
    models = ["simulated/sim-ace", "simulated/sim-weak"]
    with SimulatedProvider() as provider:
        config = write_simulated_config(tmp_path / "routerx.toml", provider.base_url,
                                        placement={"limit": limit, "samples": samples})
        os.environ["ROUTERX_CONFIG"] = str(config)
        run_discovery(providers=["simulated"], database_url=postgres_store)
        env = child_env({"ROUTERX_DATABASE_URL": postgres_store, "ROUTERX_CONFIG": str(config)})
        with ExitStack() as running:
            procs = [running.enter_context(stopping(subprocess.Popen(
                guarded("router", "assess", model, "--benchmark", "humaneval",
                        "--limit", str(limit), "--samples", str(samples), "--json",
                        "--export-dir", str(tmp_path / f"exports-{i}")),
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                start_new_session=True)))
                for i, model in enumerate(models)]
            outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert json.loads(out)["models"]

    by_run = _samples_by_run(postgres_store)
    assert sorted(by_run) == models
    for model in models:
        pairs = by_run[model]
        assert len(pairs) == limit * samples                 # nothing lost
        assert len(set(pairs)) == len(pairs)                  # nothing duplicated
    with Session(get_engine(postgres_store)) as s:
        placed = {p.model_id for p in s.exec(select(Placement))}
        assert set(models) <= placed
        assert s.exec(select(func.count()).select_from(BenchmarkRun)).one() == 2


def test_the_task_runner_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from router.errors import UnknownNameError
    from tasks.runners import assessment_task_runner

    assert isinstance(assessment_task_runner(), ThreadPoolTaskRunner)
    monkeypatch.setenv("ROUTERX_TASK_RUNNER", "dask")
    monkeypatch.setenv("ROUTERX_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    runner = assessment_task_runner()
    assert isinstance(runner, DaskTaskRunner) and runner.address == "tcp://127.0.0.1:8786"
    monkeypatch.setenv("ROUTERX_TASK_RUNNER", "ray")
    with pytest.raises(UnknownNameError, match="known: dask, thread"):
        assessment_task_runner()


@pytest.mark.slow
def test_the_fan_out_runs_on_a_two_worker_dask_cluster(prefect_api: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster, get_task_stream

    from flows.assess import assess
    from tasks.runners import assessment_task_runner

    store = f"sqlite:///{tmp_path / 'store.db'}"
    with SimulatedProvider() as provider:
        config = write_simulated_config(tmp_path / "routerx.toml", provider.base_url)
        monkeypatch.setenv("ROUTERX_CONFIG", str(config))
        monkeypatch.setenv("ROUTERX_DATABASE_URL", store)
        models = run_discovery(providers=["simulated"]).queued
        # The workers are started after the settings, so they inherit them (as a real
        # cluster's workers get them from their own environment).
        with LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            monkeypatch.setenv("ROUTERX_TASK_RUNNER", "dask")
            monkeypatch.setenv("ROUTERX_DASK_ADDRESS", cluster.scheduler_address)
            flow = assess.with_options(task_runner=assessment_task_runner())
            with get_task_stream(client) as stream:
                result = flow(models=models, benchmarks=["humaneval"], limit=4, shard_size=2,
                              export_dir=str(tmp_path / "exports"))
            worker_pids = set(client.run(os.getpid).values())
            workers = set(client.scheduler_info()["workers"])
            ran_on = {t["worker"] for t in stream.data}
            shard_tasks = [t for t in stream.data if t["key"].startswith("assess_shard_task")]
            sandboxes = client.run(_has_sandbox)

    assert {r["status"] for r in result["models"].values()} == {"assessed"}
    assert len(shard_tasks) == len(models) * 2           # 4 tasks in shards of 2 per model
    assert len(workers) == 2 and ran_on and ran_on <= workers
    assert os.getpid() not in worker_pids
    # The sandbox that judged the samples was started on the workers that ran shards.
    assert {w for w, started in sandboxes.items() if started} == ran_on
    by_run = _samples_by_run(store)
    assert sorted(by_run) == sorted(models)
    assert all(len(p) == 4 and len(set(p)) == 4 for p in by_run.values())


def _has_sandbox() -> bool:
    from benchmarks.assessment import execute

    return execute._SANDBOX is not None
