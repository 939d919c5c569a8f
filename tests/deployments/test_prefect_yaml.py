"""`prefect deploy --prefect-file deployments/prefect.yaml` onto a process work pool.

Its own Prefect server (the deployments here have the same names as the served ones).
A process worker then runs `discover/session-start`: the pull steps move into the
checkout and fill the provider key from a Secret block, so the simulated endpoint,
whose routerx.toml entry names SIMULATED_API_KEY, is polled although the worker's
environment has no key, and the key shows up nowhere in Prefect's records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from benchmarks.simulated import SimulatedProvider
from deployments.serve import build_deployments, load_specs
from router.cli.orphan_guard import command as guarded
from router.store import get_engine
from router.store.models import DiscoverySnapshot
from tests.deployments.conftest import (
    REPO_ROOT,
    PrefectServer,
    base_env,
    running_prefect_server,
    write_simulated_config,
)
from tests.servers import stopping, wait_until

KEY = "sk-SIMULATED-BLOCK-KEY-4242"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with running_prefect_server(tmp_path_factory.mktemp("prefect-deploy")) as server:
        yield server


def _prefect(server: PrefectServer, *args: str, cwd: Path = REPO_ROOT) -> str:
    env = base_env(server.home) | {"PREFECT_API_URL": server.url}
    done = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _get(server: PrefectServer, path: str) -> dict:
    response = httpx.get(f"{server.url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.mark.slow
def test_the_yaml_and_serve_build_the_same_deployments() -> None:
    specs = {s["name"]: s for s in load_specs()}
    built = {d.name: d for d in build_deployments()}
    assert set(specs) == set(built) == {"nightly", "session-start", "on-discovery", "manual"}
    assert built["on-discovery"].triggers[0].parameters == specs["on-discovery"]["triggers"][
        0]["parameters"]
    nightly = {s.slug: s for s in built["nightly"].schedules}
    assert nightly["busy"].schedule.interval == timedelta(seconds=14400)
    assert "key" not in json.dumps(specs).lower().replace("api_key_env", "")


@pytest.mark.slow
def test_prefect_deploy_to_a_process_pool_and_a_worker_runs_it(
        server: PrefectServer, tmp_path: Path) -> None:
    _prefect(server, "work-pool", "create", "routerx", "--type", "process")
    _prefect(server, "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")

    nightly = _get(server, "/deployments/name/discover/nightly")
    assert nightly["work_pool_name"] == "routerx"
    assert nightly["entrypoint"] == "flows/discovery.py:discover"
    slugs = {s["slug"]: s for s in nightly["schedules"]}
    assert slugs["nightly"]["schedule"]["cron"] == "0 3 * * *" and slugs["nightly"]["active"]
    assert slugs["busy"]["schedule"]["interval"] == 14400 and not slugs["busy"]["active"]
    assert {"directory": str(REPO_ROOT)} in [
        step.get("prefect.deployments.steps.set_working_directory")
        for step in nightly["pull_steps"]]
    manual = _get(server, "/deployments/name/assess/manual")
    assert manual["schedules"] == [] and manual["entrypoint"] == "flows/assess.py:assess"
    on_discovery = _get(server, "/deployments/name/assess/on-discovery")
    automations = httpx.post(f"{server.url}/automations/filter", json={}, timeout=10).json()
    (automation,) = [a for a in automations
                     if a["actions"][0].get("deployment_id") == on_discovery["id"]]
    assert automation["trigger"]["match"]["routerx.queued"] == "true"
    assert automation["actions"][0]["parameters"] == {
        "models": ["{{ event.payload.model_id }}"]}

    from prefect.blocks.system import Secret
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: server.url}):
        Secret(value=KEY).save("routerx-simulated-api-key", overwrite=True)

    with SimulatedProvider() as provider:
        config = write_simulated_config(tmp_path / "routerx.toml", provider.base_url,
                                        key_env="SIMULATED_API_KEY")
        store = f"sqlite:///{tmp_path / 'store.db'}"
        env = base_env(tmp_path) | {"PREFECT_API_URL": server.url, "ROUTERX_CONFIG": str(config),
                                    "ROUTERX_DATABASE_URL": store}
        session_start = _get(server, "/deployments/name/discover/session-start")["id"]
        created = httpx.post(
            f"{server.url}/deployments/{session_start}/create_flow_run",
            json={"parameters": {"providers": ["simulated"], "if_stale_seconds": None}},
            timeout=10)
        created.raise_for_status()
        run_id = created.json()["id"]
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                guarded("prefect", "worker", "start", "--pool", "routerx"),
                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        with stopping(worker):
            state = wait_until(
                lambda: (s := _get(server, f"/flow_runs/{run_id}")["state"]["type"])
                in ("COMPLETED", "FAILED", "CRASHED") and s, 240, "the worker's flow run")
        assert state == "COMPLETED", log.read_text()[-4000:]

    with Session(get_engine(store)) as s:
        (snapshot,) = s.exec(select(DiscoverySnapshot)).all()
    assert snapshot.status == "ok" and len(snapshot.new_ids) == 4  # polled with the block's key

    logs = httpx.post(f"{server.url}/logs/filter",
                      json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=10).json()
    records = json.dumps([_get(server, f"/flow_runs/{run_id}"), nightly, manual, logs])
    assert KEY not in records and KEY not in log.read_text()
