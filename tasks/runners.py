"""Which task runner executes the assessment's fan-out: a setting, not a code change.

ROUTERX_TASK_RUNNER=thread (default): shards run on threads of the flow-run process.
ROUTERX_TASK_RUNNER=dask: shards run on a Dask cluster through prefect-dask; with
ROUTERX_DASK_ADDRESS (e.g. tcp://10.0.0.5:8786) on that existing cluster, whose workers
need routerx installed and the same ROUTERX_DATABASE_URL and provider keys in their
environment (the sandbox runs there too); without it on a temporary local cluster
of ROUTERX_DASK_WORKERS processes (default 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from router.errors import ConfigError, UnknownNameError


def _thread() -> Any:
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner()


def _dask() -> Any:
    from prefect_dask import DaskTaskRunner

    address = os.environ.get("ROUTERX_DASK_ADDRESS", "").strip()
    if address:
        return DaskTaskRunner(address=address)
    workers = os.environ.get("ROUTERX_DASK_WORKERS", "2")
    if not workers.isdigit() or not 1 <= int(workers) <= 256:
        raise ConfigError(f"ROUTERX_DASK_WORKERS must be a whole number 1..256, got {workers!r}")
    return DaskTaskRunner(cluster_kwargs={"n_workers": int(workers), "processes": True})


TASK_RUNNERS: dict[str, Callable[[], Any]] = {"thread": _thread, "dask": _dask}


def assessment_task_runner() -> Any:
    name = os.environ.get("ROUTERX_TASK_RUNNER", "thread").strip().lower() or "thread"
    if name not in TASK_RUNNERS:
        raise UnknownNameError("task runner (ROUTERX_TASK_RUNNER)", name, TASK_RUNNERS)
    return TASK_RUNNERS[name]()
