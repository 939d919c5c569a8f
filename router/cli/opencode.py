"""`routerx opencode`: make OpenCode use routerx's placements, or route through it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from router.cli.output import print_json
from router.errors import InputError

if TYPE_CHECKING:  # the CLI starts without the store's imports
    from router.exports import OpenCodePlan


def _pairs(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        for item in filter(None, (v.strip() for v in value.split(","))):
            agent, sep, category = item.partition("=")
            if not sep or not agent or not category:
                raise InputError(f"--apply {item!r}: write AGENT=CATEGORY, e.g. "
                                 "build=code-generation (AGENT may be model or small_model)")
            out[agent.strip()] = category.strip()
    return out


def build_plan(provider: bool, serve_url: str, apply: list[str], direct: bool
               ) -> OpenCodePlan:
    """The export plan the options ask for (`routerx opencode`, `assess --opencode-*`)."""
    from router.exports import OpenCodePlan
    from router.routing_settings import load_router_config
    from router.settings import load_settings

    pairs = _pairs(apply)
    if direct:
        default = load_router_config().default_category
        pairs = {a: (default if c == "auto" else c) for a, c in pairs.items()}
    token_env = "ROUTERX_API_TOKEN" if load_settings().api_token is not None else None
    routed = provider or (pairs and not direct)
    return OpenCodePlan(serve_url=serve_url.rstrip("/") if routed else None,
                        token_env=token_env, apply=pairs, direct=direct)


DEFAULT_SERVE_URL = "http://127.0.0.1:8787/v1"


def opencode(
    config: Annotated[Path, typer.Argument(help="The opencode.json or opencode.jsonc to merge "
                                                "into (created if missing; a .bak is kept).")],
    provider: Annotated[bool, typer.Option(
        "--provider", help="Write a `routerx` provider (@ai-sdk/openai-compatible) whose "
        "base URL is `routerx serve`, with models auto and one per category.")] = False,
    serve_url: Annotated[str, typer.Option(
        help="Base URL of the routing endpoint, /v1 included.")] = DEFAULT_SERVE_URL,
    apply: Annotated[list[str] | None, typer.Option(
        "--apply", help="AGENT=CATEGORY (repeatable, or comma-separated): set "
        "agent.AGENT.model (or model, small_model) to routerx/CATEGORY.")] = None,
    direct: Annotated[bool, typer.Option(
        "--direct", help="With --apply: write the category's layer-1 model itself, so "
        "OpenCode calls the provider without routerx in between.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Merge the placed models (and, on request, the routing endpoint) into an OpenCode
    config, editing its text: comments, order and your other keys stay.

    Example: routerx opencode ~/.config/opencode/opencode.json --provider \\
        --apply model=auto,build=code-generation
    """
    from router.exports import export_all
    from router.settings import load_settings

    plan = build_plan(provider, serve_url, apply or [], direct)
    paths = export_all(load_settings().data_dir / "exports", config, plan=plan)
    pairs = plan.apply
    result = {"opencode_config": str(paths.opencode_config), "routerx_provider":
              plan.serve_url, "applied": pairs, "direct": direct}
    if json_out:
        print_json(result)
        return
    from router.cli.output import console, text

    console.print(text(f"merged into {config}"), highlight=False)
    if plan.serve_url:
        console.print(text(f"provider routerx -> {plan.serve_url} (start it: routerx serve)"),
                      highlight=False)
    for agent, category in pairs.items():
        console.print(text(f"{agent}: {'layer-1 model of ' if direct else 'routerx/'}"
                           f"{category}"), highlight=False)
