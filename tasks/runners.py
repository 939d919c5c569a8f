"""Which task runner executes the assessment's fan-out: a setting, not a code change.

ROUTERX_TASK_RUNNER=thread (default): shards run on threads of the flow-run process.
ROUTERX_TASK_RUNNER=dask: shards run on a Dask cluster through prefect-dask; with
ROUTERX_DASK_ADDRESS (e.g. tcp://10.0.0.5:8786) on that existing cluster, whose workers
need routerx installed and the same ROUTERX_DATABASE_URL and provider keys in their
environment (the sandbox runs there too); without it on a temporary local cluster
of ROUTERX_DASK_WORKERS processes (default 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.errors import UnknownNameError
from router.settings import from_environment


class RunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    task_runner: str = Field(
        default="thread", validation_alias="ROUTERX_TASK_RUNNER",
        description="where an assessment's shards run: thread (the flow run's process) or "
        "dask")
    dask_address: str | None = Field(
        default=None, validation_alias="ROUTERX_DASK_ADDRESS",
        description="an existing Dask scheduler (tcp://host:8786) for the dask runner; "
        "unset: a temporary local cluster")
    dask_workers: int = Field(
        default=2, ge=1, le=256, validation_alias="ROUTERX_DASK_WORKERS",
        description="processes of the temporary local Dask cluster")


def _thread() -> Any:
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner()


def _dask() -> Any:
    from prefect_dask import DaskTaskRunner

    settings = from_environment(RunnerSettings)
    address = (settings.dask_address or "").strip()
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.dask_workers, "processes": True})


TASK_RUNNERS: dict[str, Callable[[], Any]] = {"thread": _thread, "dask": _dask}


def assessment_task_runner() -> Any:
    name = from_environment(RunnerSettings).task_runner.strip().lower() or "thread"
    if name not in TASK_RUNNERS:
        raise UnknownNameError("task runner (ROUTERX_TASK_RUNNER)", name, TASK_RUNNERS)
    return TASK_RUNNERS[name]()
