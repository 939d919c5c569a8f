"""Every routerx deployment served from one process: `routerx deploy --serve`.

It reads deployments/prefect.yaml, so the deployments served here have the same names,
schedules, trigger and default parameters as the ones `prefect deploy` creates; only
the place they run differs (this process instead of a work pool's workers). Flows are
referenced by module (`flows.discovery:discover`), so the process can start anywhere
routerx is installed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from router.errors import ConfigError

PREFECT_FILE = Path(__file__).with_name("prefect.yaml")
NIGHTLY = "discover/nightly"


@dataclass
class ServeOptions:
    """What a single machine may change without editing prefect.yaml."""

    cron: str | None = None
    timezone: str | None = None
    busy_interval: timedelta | None = None
    assess_parameters: dict[str, Any] = field(default_factory=dict)


def load_specs(path: Path = PREFECT_FILE) -> list[dict[str, Any]]:
    """The deployments of prefect.yaml, YAML anchors resolved."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the deployments: {exc}") from None
    specs = data.get("deployments") if isinstance(data, dict) else None
    if not specs:
        raise ConfigError(f"{path}: no `deployments:` list")
    return specs


def load_flow(entrypoint: str) -> Any:
    """`flows/assess.py:assess` -> the flow object, imported as module `flows.assess`."""
    path, _, attr = entrypoint.partition(":")
    module = path.removesuffix(".py").replace("/", ".")
    return getattr(importlib.import_module(module), attr)


def _schedule(spec: dict[str, Any], options: ServeOptions) -> Any:
    from prefect.schedules import Cron, Interval

    common = {"timezone": options.timezone or spec.get("timezone"),
              "active": spec.get("active", True), "slug": spec.get("slug")}
    if "cron" in spec:
        cron = options.cron if spec.get("slug") == "nightly" and options.cron else spec["cron"]
        return Cron(cron, **common)
    if "interval" in spec:
        seconds = spec["interval"]
        if spec.get("slug") == "busy" and options.busy_interval:
            seconds = options.busy_interval.total_seconds()
        return Interval(timedelta(seconds=seconds), **common)
    raise ConfigError(f"{PREFECT_FILE}: schedule {spec} is neither cron nor interval")


def build_deployments(options: ServeOptions | None = None,
                      path: Path = PREFECT_FILE) -> list[Any]:
    """RunnerDeployments for `prefect.serve`, one per entry of prefect.yaml."""
    from prefect.deployments.runner import EntrypointType
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    options = options or ServeOptions()
    deployments = []
    for spec in load_specs(path):
        flow = load_flow(spec["entrypoint"])
        parameters = dict(spec.get("parameters") or {})
        if flow.name == "assess":
            parameters.update(options.assess_parameters)
        deployments.append(flow.to_deployment(
            name=spec["name"],
            description=spec.get("description"),
            tags=spec.get("tags"),
            parameters=parameters,
            schedules=[_schedule(s, options) for s in spec.get("schedules") or []],
            triggers=[DeploymentEventTrigger(**t) for t in spec.get("triggers") or []],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ))
    return deployments


def serve(options: ServeOptions | None = None, limit: int | None = None) -> None:
    """Block, serving every deployment, until interrupted (schedules pause on exit)."""
    from prefect import serve as prefect_serve

    from deployments.secrets import load_secret_blocks

    load_secret_blocks()
    prefect_serve(*build_deployments(options), limit=limit, print_starting_message=True)
