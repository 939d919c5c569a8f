"""`routerx deploy`: the Prefect deployments, served here or registered on a work pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from router.cli.output import err_console, text
from router.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _server_url() -> str:
    """The configured Prefect API, checked to answer: serving to nobody helps no one."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "no Prefect server configured: run `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigError(f"the Prefect server at {url} does not answer ({exc}); "
                          "start it with `prefect server start`") from None
    return url


def deploy(
    serve: Annotated[bool, typer.Option(
        "--serve", help="Serve every deployment from this process (one machine, no work pool)."
    )] = False,
    pool: Annotated[str | None, typer.Option(
        help="Without --serve: the work pool to register on (default: prefect.yaml's, routerx)."
    )] = None,
    cron: Annotated[str | None, typer.Option(
        envvar="ROUTERX_NIGHTLY_CRON", help="Nightly discovery's cron (default 0 3 * * *)."
    )] = None,
    timezone: Annotated[str | None, typer.Option(
        envvar="ROUTERX_TIMEZONE", help="IANA timezone of the schedules (default UTC)."
    )] = None,
    busy_interval: Annotated[str | None, typer.Option(
        envvar="ROUTERX_BUSY_INTERVAL",
        help="Polling interval while new models keep appearing (default 4h)."
    )] = None,
    benchmark: Annotated[list[str] | None, typer.Option(
        "--benchmark", "-b", help="Automatic assessments measure only this benchmark (repeatable)."
    )] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Automatic assessments use the first N tasks per benchmark."
    )] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Samples per task.")] = None,
    concurrent_runs: Annotated[int | None, typer.Option(
        min=1, help="With --serve: at most this many flow runs at once."
    )] = None,
) -> None:
    """Serve or register the Prefect deployments of deployments/prefect.yaml.

    discover/nightly (cron, adaptive), discover/session-start, assess/on-discovery
    (runs on each routerx.model.discovered event) and assess/manual (rerun from the UI).

    Example: routerx deploy --serve --timezone Europe/Berlin --limit 20
    """
    url = _server_url()
    if not serve:
        _register(pool)
        return
    from datetime import timedelta

    from deployments.serve import ServeOptions
    from deployments.serve import serve as serve_all
    from router.durations import parse_duration

    overrides: dict[str, object] = {}
    if benchmark:
        overrides["benchmarks"] = list(benchmark)
    if limit is not None:
        overrides["limit"] = limit
    if samples is not None:
        overrides["samples"] = samples
    busy: timedelta | None = parse_duration(busy_interval) if busy_interval else None
    options = ServeOptions(cron=cron, timezone=timezone, busy_interval=busy,
                           assess_parameters=overrides)
    err_console.print(text(f"serving the routerx deployments against {url} (Ctrl-C stops)"),
                      highlight=False)
    serve_all(options, limit=concurrent_runs)


def _register(pool: str | None) -> None:
    """`prefect deploy --all` from the checkout, as the operations guide describes."""
    command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
               "--prefect-file", str(REPO_ROOT / "deployments" / "prefect.yaml")]
    if pool:
        command += ["--pool", pool]
    done = subprocess.run(command, cwd=REPO_ROOT, env=os.environ.copy(), check=False)
    if done.returncode:
        raise ConfigError(f"`prefect deploy` failed (exit {done.returncode}); see its output "
                          "above (does the work pool exist? `prefect work-pool create routerx "
                          "--type process`)")
