"""`routerx discover`: one poll of every configured provider."""

from __future__ import annotations

import os
from contextlib import nullcontext
from typing import Annotated, Any

import typer

from router.cli.output import console, markup, print_json, text


def discover(
    provider: Annotated[
        list[str] | None,
        typer.Option("--provider", "-p", help="Poll only this provider (repeatable)."),
    ] = None,
    if_stale: Annotated[
        str | None,
        typer.Option(help="Reuse a poll younger than this (e.g. 1h) instead of polling again."),
    ] = None,
    flow: Annotated[
        bool,
        typer.Option("--flow", help="Run as the Prefect `discover` flow, which emits "
                     "`routerx.model.discovered` events (needs Prefect; slower to start). "
                     "Like a plain discover, it queues new models for `routerx assess "
                     "--new`; it does not assess them."),
    ] = False,
    local: Annotated[bool, typer.Option("--local", help="Poll from this process even when "
                                        "PREFECT_API_URL names a Prefect server.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Poll providers for their models; new chat models are queued for assessment.

    Exit code 0 when every provider is ok or skipped, 1 when any failed (the others'
    results are stored all the same). A provider without a key is skipped.

    Example: routerx discover --if-stale 1h --json
    """
    from router.durations import parse_duration

    max_age = parse_duration(if_stale) if if_stale else None
    result = None
    if not (flow or local) and os.environ.get("PREFECT_API_URL"):
        from deployments.trigger import discover_via_server  # None: not deployed, no worker

        result = discover_via_server(provider or None, max_age)
    if result is None and flow:
        result = run_flow(provider or None, max_age.total_seconds() if max_age else None)
    elif result is None:
        from router.discovery import run_discovery

        with nullcontext() if json_out else console.status("polling providers…"):
            result = run_discovery(providers=provider, if_stale=max_age).to_json()
    if json_out:
        print_json(result)
    else:
        print_report(result)
    failed = any(p["status"] == "error" for p in result["providers"].values())
    raise typer.Exit(1 if failed else 0)


def run_flow(providers: list[str] | None, if_stale_seconds: float | None) -> dict[str, Any]:
    """The `discover` flow from this process (Prefect's temporary server if none is
    configured). The flow is async: it must be run, not just called."""
    import asyncio

    from router.cli.prefect_env import prefect_defaults

    prefect_defaults()
    from flows.discovery import discover as discover_flow

    return asyncio.run(discover_flow(providers=providers, if_stale_seconds=if_stale_seconds,
                                     assess_found=False))


def print_report(result: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Discovery at {result['polled_at']}")
    numeric = ("models", "new", "removed")
    for column in ("provider", "status", "models", "new", "removed", "note"):
        table.add_column(column, justify="right" if column in numeric else "left")
    colours = {"ok": "green", "error": "red", "skipped": "dim"}
    for name, s in result["providers"].items():
        note = s["error"] or ("reused a recent poll" if s.get("reused") else "")
        table.add_row(text(name), text(s["status"], colours.get(s["status"], "")),
                      str(s["models"]), str(len(s["new"])), str(len(s["removed"])), text(note))
    console.print(table)
    if result["queued"]:
        console.print(f"queued for assessment: {markup(', '.join(result['queued']))}",
                      highlight=False)
