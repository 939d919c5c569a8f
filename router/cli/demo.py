"""`routerx demo`: the whole pipeline on this machine, against a SIMULATED provider."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from router.cli.output import print_json

# USD per million tokens for the simulated models, so cost per solved task is measured
# the same way as for a paid provider (they are made-up prices for simulated models).
DEMO_PRICES = {"sim-ace": (3.0, 15.0), "sim-solid": (0.5, 1.5), "sim-fair": (0.2, 0.6),
               "sim-weak": (0.05, 0.1)}


def demo(
    limit: Annotated[int, typer.Option(help="HumanEval tasks to assess each model on.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run discovery, assessment, placement and routing against a SIMULATED provider.

    Needs no key and no network: a built-in provider on 127.0.0.1 serves four simulated
    models of known skill (each answers a task with the reference solution with its
    skill's probability, else with a wrong one). Everything else is real: HTTP, the
    sandbox that runs the answers, the scores, placements and routing. The demo keeps
    its own store in $XDG_DATA_HOME/routerx/demo/, apart from yours.

    Example: routerx demo --limit 20
    """
    from router.settings import load_settings

    home = load_settings().data_dir / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["ROUTERX_DATABASE_URL"] = f"sqlite:///{home / 'demo.db'}"
    os.environ["ROUTERX_MODELS_DEV_URL"] = ""  # simulated models have routerx.toml prices
    from router.cli.prefect_env import prefect_defaults

    prefect_defaults()

    from benchmarks.simulated import SimulatedProvider

    with SimulatedProvider() as sim:
        _write_config(home / "routerx.toml", sim.base_url, limit)
        os.environ["ROUTERX_CONFIG"] = str(home / "routerx.toml")
        result = _pipeline(home, limit, quiet=json_out)
    if json_out:
        print_json(result)
    else:
        _print(result)


def _write_config(path: Path, base_url: str, limit: int) -> None:
    lines = ["# written by `routerx demo`: a SIMULATED provider on this machine",
             "[providers.simulated]", f'base_url = "{base_url}"', "",
             "# the demo places models from runs of its first `limit` tasks",
             "[placement]", f"limit = {limit}", ""]
    for name, (inp, out) in DEMO_PRICES.items():
        lines += [f'[prices."simulated/{name}"]', f"input = {inp}", f"output = {out}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _pipeline(home: Path, limit: int, quiet: bool) -> dict[str, Any]:
    from router.cli.assess import run_with_progress
    from router.discovery import run_discovery

    report = run_discovery(providers=["simulated"])
    from flows.assess import assess as assess_flow

    kwargs: dict[str, Any] = dict(models=report.queued, benchmarks=["humaneval"], limit=limit,
                                  export_dir=str(home / "exports"))
    from router.cli.prefect_env import quiet_stderr

    with quiet_stderr():
        if quiet:
            assessed = assess_flow(**kwargs)
        else:
            assessed = run_with_progress(assess_flow, kwargs, report.queued, ["humaneval"])
    from router import Router

    selection = Router().route("code-generation")
    return {
        "simulated": True,
        "discovered": report.queued,
        "models": assessed["models"],
        "route": {"category": "code-generation", "model": selection.model,
                  "fallbacks": list(selection.fallbacks), "reason": selection.reason},
        "exports": assessed.get("exports"),
    }


def _print(result: dict[str, Any]) -> None:
    from router.cli.assess import print_summary
    from router.cli.output import console, markup

    console.print("[bold yellow]SIMULATED provider[/]: models of known skill, real sandbox, "
                  "real scoring.")
    print_summary(result)
    r = result["route"]
    console.print(f"route code-generation -> [bold]{markup(r['model'])}[/] "
                  f"(fallbacks: {markup(', '.join(r['fallbacks']) or 'none')}); "
                  f"{markup(r['reason'])}", highlight=False)
    console.print("OpenCode: `routerx opencode PATH --provider --apply model=auto` sends its "
                  "requests through `routerx serve` (http://127.0.0.1:8787/v1). The simulated "
                  "provider stops with the demo, so no OpenCode config points at it.",
                  highlight=False)
