"""`routerx assess`: measure models, place them, export the files."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer

from router.cli.output import print_json


def assess(
    model_ids: Annotated[list[str] | None, typer.Argument(
        help="Model ids to assess (provider/model).", show_default=False)] = None,
    new: Annotated[bool, typer.Option("--new", help="Assess every model discovery "
                                      "marked new.")] = False,
    benchmark: Annotated[list[str] | None, typer.Option(
        "--benchmark", "-b", help="A registered benchmark, e.g. humaneval, mbpp, swebench "
        "(repeatable; default: the default suite, humaneval and mbpp).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N tasks of each benchmark.")] = None,
    samples: Annotated[int, typer.Option(help="Samples per task (pass@k needs k).")] = 1,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Base seed; sample i uses seed + i.")] = 0,
    export_dir: Annotated[str | None, typer.Option(
        help="Where to write the exports (default $XDG_DATA_HOME/routerx/exports).")] = None,
    opencode_config: Annotated[str | None, typer.Option(
        help="Merge placed models into this opencode.json or .jsonc (its text is edited: "
        "comments and keys stay; a backup is kept).")] = None,
    opencode_provider: Annotated[bool, typer.Option(
        "--opencode-provider", help="With --opencode-config: also a `routerx` provider "
        "pointing at `routerx serve` (models auto and one per category).")] = False,
    opencode_apply: Annotated[list[str] | None, typer.Option(
        "--opencode-apply", help="With --opencode-config: AGENT=CATEGORY (repeatable or "
        "comma-separated), agent.AGENT.model (or model, small_model) = routerx/CATEGORY.")
    ] = None,
    opencode_direct: Annotated[bool, typer.Option(
        "--opencode-direct", help="With --opencode-apply: the category's layer-1 model "
        "itself instead of routerx/CATEGORY.")] = False,
    adaptive: Annotated[bool, typer.Option(
        "--adaptive", help="Ask the tasks in a seeded random order and stop each benchmark "
        "once the model's layer is decided at --confidence (docs/adaptive.md).")] = False,
    confidence: Annotated[float, typer.Option(
        help="Confidence of an adaptive decision.")] = 0.95,
    budget_usd: Annotated[float | None, typer.Option(
        "--budget-usd", help="Stop asking a model once its spent cost plus the requests in "
        "flight would pass this many USD; rerun with a larger budget to continue.",
        show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Ask nothing: print the requests, tokens and cost per model and "
        "benchmark, with each price's source.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Assess models on code benchmarks in the sandbox, then place and export them.

    Rerunning with the same parameters resumes an interrupted assessment.

    Example: routerx assess --new --benchmark humaneval --limit 20 --samples 1
    """
    from pydantic import ValidationError

    from benchmarks.assessment.params import AssessParams, StoppingRules
    from router.errors import InputError
    from router.ids import check_model_id

    if not model_ids and not new:
        raise InputError("name model ids to assess, or pass --new to assess what discovery "
                         "queued (see `routerx models --status new`)")
    for model_id in model_ids or ():
        check_model_id(model_id, "MODEL_ID")
    plan = None
    if opencode_provider or opencode_apply or opencode_direct:
        if opencode_config is None:
            raise InputError("--opencode-provider, --opencode-apply and --opencode-direct "
                             "need --opencode-config PATH (the file to merge into)")
        from router.cli.opencode import DEFAULT_SERVE_URL, build_plan

        plan = build_plan(opencode_provider, DEFAULT_SERVE_URL, opencode_apply or [],
                          opencode_direct).to_dict()
    try:
        named = {"benchmarks": benchmark} if benchmark else {}
        params = AssessParams(**named, limit=limit,
                              samples=samples, temperature=temperature, seed=seed)
        stopping = StoppingRules(adaptive=adaptive, confidence=confidence,
                                 budget_usd=budget_usd)
    except ValidationError as exc:
        err = exc.errors()[0]
        option = str(err["loc"][0]).replace("_", "-")
        raise InputError(f"--{option}: {err['msg'].removeprefix('Value error, ')}") from None
    from benchmarks.assessment.runs import resolve_models

    chosen = resolve_models(model_ids or [], new)
    if not chosen:
        raise InputError("no model to assess: nothing has status new; run `routerx discover`")
    if dry_run:  # no Prefect: nothing runs, nothing is stored
        from benchmarks.assessment.execute import dry_run as estimate

        result = estimate(chosen, params)
        if json_out:
            print_json(result)
        else:
            print_estimate(result)
        raise typer.Exit(0)
    check_stopping(chosen, params, stopping)
    from router.cli.prefect_env import prefect_defaults

    prefect_defaults()
    from flows.assess import assess as assess_flow

    kwargs: dict[str, Any] = dict(
        models=chosen, benchmarks=params.benchmarks, limit=limit, samples=samples,
        temperature=temperature, seed=seed, export_dir=export_dir,
        opencode_config=opencode_config, opencode_plan=plan, adaptive=adaptive,
        confidence=confidence, budget_usd=budget_usd)
    from router.cli.prefect_env import quiet_stderr

    if json_out:
        with quiet_stderr():
            result = assess_flow(**kwargs)
        print_json({"models": result["models"], "exports": result.get("exports"),
                    "skipped_benchmarks": result.get("skipped_benchmarks", {})})
    else:
        with quiet_stderr():
            result = run_with_progress(assess_flow, kwargs, chosen, params.benchmarks)
        print_summary(result)
    # A run that failed or was incomplete is an exit status of 1, even when the model
    # keeps its earlier placements.
    unfinished = any(m["outcome"] not in ("completed", "decided")
                     for m in result["models"].values())
    raise typer.Exit(1 if unfinished else 0)


def check_stopping(model_ids: list[str], params: Any, stopping: Any) -> None:
    """Refuse, before anything is asked, what the flow could only fail at later: an
    adaptive run that would not be placed, a budget for a model without a price."""
    from router.errors import InputError

    if stopping.adaptive:
        from benchmarks.assessment.decide import check_adaptive
        from router.measurement import load_placement_protocol

        check_adaptive(params, load_placement_protocol())
    if stopping.budget_usd is not None:
        import asyncio

        from benchmarks.assessment.execute import current_price_book

        book = asyncio.run(current_price_book())
        unpriced = [m for m in model_ids if book.price(m) is None]
        if unpriced:
            raise InputError(f"--budget-usd needs a price for {unpriced[0]}: "
                             f"{book.price_source(unpriced[0])}")


def run_with_progress(flow: Any, kwargs: dict[str, Any], model_ids: list[str],
                      benchmarks: list[str]) -> dict[str, Any]:
    """Run the flow in a thread; draw one Rich bar per model and benchmark from the store."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TimeElapsedColumn,
    )

    from benchmarks.assessment.progress import last_run_id, progress
    from router.cli.output import console, markup

    since = last_run_id()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = flow(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    bars: dict[tuple[str, str], TaskID] = {}
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        while worker.is_alive():
            worker.join(0.5)
            for key, (done, planned) in progress(model_ids, benchmarks, since).items():
                if key not in bars:
                    bars[key] = bar.add_task(f"{markup(key[0])} · {markup(key[1])}",
                                             total=planned or None)
                bar.update(bars[key], completed=done, total=planned or None)
    if "error" in box:
        raise box["error"]
    return box["result"]


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.4f}"


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def print_estimate(result: dict[str, Any]) -> None:
    """The dry run: one row per model and benchmark, totals per model, then the bases."""
    from rich.table import Table

    from router.cli.output import console, markup, text

    table = Table(title="Dry run: what the assessment would ask and cost (nothing was asked)")
    for col in ("model", "bench", "requests", "stored", "input tok", "output tok", "cost",
                "price source"):
        table.add_column(col, no_wrap=col != "price source")
    notes: list[str] = []
    for e in result["estimates"]:
        table.add_row(text(e["model_id"]), text(e["benchmark"]), _count(e["requests"]),
                      _count(e["stored"]), _count(e["input_tokens"]),
                      _count(e["output_tokens"]), _money(e["cost_usd"]),
                      text(e["price_source"]))
        notes.append(f"{e['model_id']} {e['benchmark']}: input {e['input_basis']}; "
                     f"output {e['output_basis']}")
    for model_id, t in result["totals"].items():
        if sum(e["model_id"] == model_id for e in result["estimates"]) < 2:
            continue  # its one row is its total
        table.add_row(text(model_id), "total", _count(t["requests"]), "",
                      _count(t["input_tokens"]), _count(t["output_tokens"]),
                      _money(t["cost_usd"]), "", style="bold")
    console.print(table)
    for note in notes:
        console.print(text(note), highlight=False)
    for name, reason in (result.get("skipped_benchmarks") or {}).items():
        console.print(f"[yellow]skipped {markup(name)}[/]: {markup(reason)}", highlight=False)


def spend_line(run: dict[str, Any], score: dict[str, Any] | None) -> str:
    """Requests asked and saved, cost spent against the full run's estimate, and where an
    adaptive run stopped; empty when the run asked everything and no estimate was made."""
    parts = []
    adaptive = (score or {}).get("adaptive")
    if adaptive:
        layers = ", ".join(f"{c} layer {v}" for c, v in adaptive["layers"].items())
        low, high = adaptive["count_interval"]
        parts.append(f"adaptive: {layers} decided at {adaptive['confidence']:.0%} after "
                     f"{adaptive['asked']} of {adaptive['tasks']} tasks (full run's passes "
                     f"{low}-{high})")
    if run.get("not_asked") or run.get("full_run_estimate_usd") is not None:
        parts.append(f"asked {run['asked']} of {run['planned']} requests "
                     f"({run['not_asked']} saved)")
        spent, full = run.get("spent_usd"), run.get("full_run_estimate_usd")
        parts.append(f"spent {_money(spent)} of an estimated {_money(full)} for every task")
    return "; ".join(parts)


def print_summary(result: dict[str, Any]) -> None:
    from rich.table import Table

    from router.cli.output import console, markup, text

    table = Table(title="Assessment (pass@1 with its 95% interval; layer 1 is best)")
    for col in ("model", "bench", "tasks", "pass@1", "95% CI", "p50 ms", "$/solved", "layer"):
        table.add_column(col, no_wrap=True)
    notes: list[str] = []
    for model_id, m in result["models"].items():
        layers = " ".join(f"{c.split('-')[0][:4]}:{layer}{'*' if c in m.get('stale', {}) else ''}"
                          for c, layer in m["placements"].items())
        if m["outcome"] not in ("completed", "decided") or not m["benchmarks"]:
            table.add_row(text(model_id), "-", "", text(m["outcome"]), "", "", "",
                          text(layers or "-"))
            if m.get("reason"):
                notes.append(f"{model_id}: {m['reason']}")
        for name, b in m["benchmarks"].items():
            cost = b["cost_per_solved_usd"]
            p50 = b["latency_p50_ms"]
            table.add_row(text(model_id), text(name), text(b["task_scope"]),
                          f"{b['pass_at_1']:.2f}",
                          f"{b['ci'][0]:.2f}-{b['ci'][1]:.2f}", f"{p50:.0f}" if p50 else "-",
                          "unknown" if cost is None else f"{cost:.5f}", text(layers or "-"))
            if not b["placed"] and b.get("not_placed_reason"):
                notes.append(f"{model_id} {name}: not placed: {b['not_placed_reason']}")
        notes += [f"{model_id} {c}: stale (*): {why}" for c, why in m.get("stale", {}).items()]
        notes += [f"{model_id} {name}: {line}" for name, r in m.get("runs", {}).items()
                  if (line := spend_line(r, m["benchmarks"].get(name)))]
    console.print(table)
    for note in notes:
        console.print(text(note), highlight=False)
    for name, reason in (result.get("skipped_benchmarks") or {}).items():
        console.print(f"[yellow]skipped {markup(name)}[/]: {markup(reason)}", highlight=False)
    exports = result.get("exports") or {}
    for label, path in exports.items():
        if path:
            console.print(text(f"{label.replace('_', ' ')}: {path}"), highlight=False)
