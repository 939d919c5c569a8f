"""A real `prefect server start` on 127.0.0.1, and `routerx deploy --serve` against it.

The server is started once per test session (it answers in about 10 s here) with its
own PREFECT_HOME and SQLite database in a temporary directory, and stopped at the end.
Every process started here runs under `router.cli.orphan_guard`: if pytest itself is
killed (so no fixture finalizer runs), each exits with its whole process group.
`served` starts the routerx deployments in a subprocess, exactly as an operator would,
with a store and a routerx.toml whose only provider is the simulated one on loopback.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from benchmarks.simulated import SimulatedProvider
from router.cli.orphan_guard import command as guarded
from tests.servers import free_port, stopping, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


def base_env(home: Path) -> dict[str, str]:
    """The environment of a child process: no key, no routerx setting of the developer's,
    and this checkout's code first (children run from temporary directories)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "ROUTERX_", "OPENAI_", "ANTHROPIC_", "GEMINI_",
                                "GOOGLE_", "GROQ_", "CEREBRAS_", "NVIDIA_", "OPENROUTER_",
                                "OLLAMA_", "XDG_"))}
    env.update({
        "PREFECT_HOME": str(home / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "XDG_CACHE_HOME": str(home / "xdg-cache"),
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p),
    })
    return env


@dataclass
class PrefectServer:
    url: str          # the API: http://127.0.0.1:PORT/api
    ui_url: str       # the UI:  http://127.0.0.1:PORT
    home: Path
    log: Path


@contextmanager
def running_prefect_server(home: Path) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port, its home and database under `home`."""
    port = free_port()
    env = base_env(home)
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    env["PREFECT_UI_API_URL"] = f"http://127.0.0.1:{port}/api"  # the UI's calls, not :4200
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            guarded("prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)),
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = PrefectServer(f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}", home, log)

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"prefect server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        return httpx.get(f"{server.url}/health", timeout=10).status_code == 200

    with stopping(process):
        wait_until(healthy, 240, "prefect server start to answer /api/health", interval=0.5)
        yield server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with running_prefect_server(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server


@pytest.fixture
def prefect_api(prefect_server: PrefectServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's Prefect client (and its child processes) talk to the real server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_API_URL", prefect_server.url)
    with temporary_settings({PREFECT_API_URL: prefect_server.url}):
        yield prefect_server.url


@dataclass
class Served:
    """A running `routerx deploy --serve`, its store, and the provider it polls."""

    database_url: str
    config: Path
    provider: SimulatedProvider
    log: Path
    process: subprocess.Popen


def write_simulated_config(path: Path, base_url: str, key_env: str | None = None,
                           placement: dict[str, int] | None = None) -> Path:
    """`placement`: the placement protocol ([placement] limit, samples) the small
    assessments of these tests run, so their scores place models."""
    lines = ["[providers.simulated]", f'base_url = "{base_url}"']
    if key_env:
        lines.append(f'api_key_env = "{key_env}"')
    lines += ['[prices."simulated/*"]', "input = 0.5", "output = 1.5"]
    if placement:
        lines += ["[placement]"] + [f"{k} = {v}" for k, v in placement.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def served(prefect_server: PrefectServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`routerx deploy --serve` with small assessments (HumanEval, first 3 tasks)."""
    home = tmp_path_factory.mktemp("served")
    with SimulatedProvider() as provider:
        config = write_simulated_config(home / "routerx.toml", provider.base_url,
                                        placement={"limit": 3})
        database_url = f"sqlite:///{home / 'store.db'}"
        env = base_env(home)
        env.update({"PREFECT_API_URL": prefect_server.url, "ROUTERX_DATABASE_URL": database_url,
                    "ROUTERX_CONFIG": str(config), "ROUTERX_HTTP_RETRIES": "0"})
        log = home / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                guarded("router", "deploy", "--serve", "--benchmark", "humaneval",
                        "--limit", "3", "--concurrent-runs", "4"),
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home,
                start_new_session=True,
            )
        with stopping(process):
            wait_until(lambda: _all_deployed(prefect_server.url, process, log), 240,
                       "the four routerx deployments to be served", interval=0.5)
            yield Served(database_url, config, provider, log, process)


DEPLOYMENTS = ("discover/nightly", "discover/session-start", "assess/on-discovery",
               "assess/manual")


def _all_deployed(api: str, process: subprocess.Popen, log: Path) -> bool:
    if process.poll() is not None:
        pytest.fail(f"routerx deploy --serve exited ({process.returncode}):\n"
                    f"{log.read_text()[-3000:]}")
    return all(httpx.get(f"{api}/deployments/name/{name}", timeout=10).status_code == 200
               for name in DEPLOYMENTS)
