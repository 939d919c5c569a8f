"""`routerx deploy --serve` against a real Prefect server: schedules, trigger, runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from router.store import get_engine
from router.store.models import (
    BenchmarkRun,
    DiscoverySnapshot,
    Model,
    Placement,
    SampleResult,
)
from tests.deployments.conftest import Served
from tests.servers import wait_until

SIM_MODELS = ["simulated/sim-ace", "simulated/sim-fair", "simulated/sim-solid",
              "simulated/sim-weak"]


def _client() -> Any:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _runs_of(deployment_name: str) -> list[Any]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with _client() as client:
        deployment = client.read_deployment_by_name(deployment_name)
        return client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[deployment.id])))


def test_served_deployments_carry_the_schedules_and_the_trigger(served: Served,
                                                                 prefect_api: str) -> None:
    with _client() as client:
        nightly = client.read_deployment_by_name("discover/nightly")
        by_slug = {s.slug: s for s in client.read_deployment_schedules(nightly.id)}
        assert by_slug["nightly"].schedule.cron == "0 3 * * *"
        assert by_slug["nightly"].schedule.timezone == "UTC" and by_slug["nightly"].active
        assert by_slug["busy"].schedule.interval == timedelta(hours=4)
        assert by_slug["busy"].active is False

        for name in ("discover/session-start", "assess/on-discovery", "assess/manual"):
            assert client.read_deployment_schedules(
                client.read_deployment_by_name(name).id) == []

        manual = client.read_deployment_by_name("assess/manual")
        assert manual.parameters["benchmarks"] == ["humaneval"]  # --benchmark humaneval
        assert manual.parameters["limit"] == 3
        schema = manual.parameter_openapi_schema["properties"]
        assert {"models", "benchmarks", "limit", "samples"} <= set(schema)

        on_discovery = client.read_deployment_by_name("assess/on-discovery")
        automations = client.read_automations_by_name(
            next(a.name for a in client.read_automations()
                 if getattr(a.actions[0], "deployment_id", None) == on_discovery.id))
    trigger = automations[0].trigger
    assert trigger.expect == {"routerx.model.discovered"}
    assert trigger.match.model_dump()["routerx.queued"] == "true"
    assert automations[0].actions[0].parameters == {
        "models": ["{{ event.payload.model_id }}"]}


def test_session_start_run_discovers_and_each_new_model_triggers_an_assessment(
        served: Served, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.deployments import run_deployment

    monkeypatch.setenv("ROUTERX_DATABASE_URL", served.database_url)
    run = run_deployment("discover/session-start",
                         parameters={"providers": ["simulated"], "if_stale_seconds": None},
                         timeout=180)
    assert run.state.is_completed(), (run.state, served.log.read_text()[-3000:])
    with Session(get_engine(served.database_url)) as s:
        snapshot = s.exec(select(DiscoverySnapshot)).one()
        assert sorted(snapshot.new_ids) == SIM_MODELS

    # Each `routerx.model.discovered` event (routerx.queued = "true") becomes one run of
    # assess/on-discovery whose `models` parameter is the model id from the event.
    runs = wait_until(lambda: (r := _runs_of("assess/on-discovery")) and len(r) >= 4 and r,
                      120, "four assess/on-discovery runs")
    assert sorted(r.parameters["models"][0] for r in runs) == SIM_MODELS
    assert all(len(r.parameters["models"]) == 1 for r in runs)
    assert all(r.parameters["limit"] == 3 for r in runs)  # the deployment's defaults

    # ... and each completes against the simulated provider and places its model.
    def all_final() -> list[Any] | None:
        states = [r.state for r in _runs_of("assess/on-discovery")]
        return states if all(s is not None and s.is_final() for s in states) else None

    states = wait_until(all_final, 600, "the on-discovery assessments to finish", 2)
    assert all(s.is_completed() for s in states), (states, served.log.read_text()[-4000:])
    with Session(get_engine(served.database_url)) as s:
        assert {m.id: m.status for m in s.exec(select(Model))} == dict.fromkeys(
            SIM_MODELS, "assessed")
        assert {p.model_id for p in s.exec(select(Placement))} == set(SIM_MODELS)


def test_a_manual_run_with_parameters_completes_and_places(served: Served,
                                                           prefect_api: str) -> None:
    """What the UI's Run > Custom run does: create a run of assess/manual with parameters."""
    from prefect.deployments import run_deployment

    _discovered(served)
    parameters = {"models": ["simulated/sim-solid"], "benchmarks": ["humaneval"], "limit": 4,
                  "samples": 2, "seed": 7}
    run = run_deployment("assess/manual", parameters=parameters, timeout=600)
    assert run.state.is_completed(), (run.state, served.log.read_text()[-4000:])
    assert {k: run.parameters[k] for k in parameters} == parameters
    with Session(get_engine(served.database_url)) as s:
        (bench_run,) = s.exec(select(BenchmarkRun).where(
            BenchmarkRun.flow_run_id == str(run.id))).all()
        assert (bench_run.model_id, bench_run.samples_per_task, bench_run.seed) == (
            "simulated/sim-solid", 2, 7)
        samples = s.exec(select(SampleResult).where(SampleResult.run_id == bench_run.id)).all()
        assert len(samples) == 4 * 2
        assert len({(x.task_id, x.sample_index) for x in samples}) == 8
        placed = s.exec(select(Placement).where(Placement.model_id == "simulated/sim-solid"))
        assert placed.first() is not None


def _discovered(served: Served) -> None:
    from prefect.deployments import run_deployment

    with Session(get_engine(served.database_url)) as s:
        if s.exec(select(Model)).first() is not None:
            return
    run = run_deployment("discover/session-start", parameters={"providers": ["simulated"]},
                         timeout=180)
    assert run.state.is_completed()


def test_routerx_discover_runs_the_session_start_deployment(served: Served,
                                                            prefect_api: str) -> None:
    import json
    import os
    import subprocess
    import sys

    before = len(_runs_of("discover/session-start"))
    env = os.environ | {"ROUTERX_DATABASE_URL": served.database_url,
                        "ROUTERX_CONFIG": str(served.config)}
    done = subprocess.run([sys.executable, "-m", "router", "discover", "-p", "simulated",
                           "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["providers"]["simulated"]["status"] == "ok"
    assert report["providers"]["simulated"]["models"] == 4
    assert len(_runs_of("discover/session-start")) == before + 1

    # --local polls from this process: no run on the server.
    done = subprocess.run([sys.executable, "-m", "router", "discover", "-p", "simulated",
                           "--local", "--json"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and json.loads(done.stdout)["providers"]["simulated"]["models"] == 4
    assert len(_runs_of("discover/session-start")) == before + 1
