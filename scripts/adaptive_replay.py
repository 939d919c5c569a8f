"""Replay real models' recorded answers through the adaptive assessment.

../shared/data/{humaneval,mbpp}/ hold the per-task verdicts of real runs (PROVENANCE.md
there). Each run is replayed as a model whose answer to a task is its recorded verdict:
the tasks are asked in a random order, the confidence sequence of
`benchmarks.sequential` is updated after every task, and the replay stops as soon as
every full-run pass count the sequence still allows gets the same layer. The population
is the other runs on the same task set (like with like: MBPP's three sources use three
different task sets), placed with their full-run scores by `benchmarks.layering` under
the code-generation category's weights; the recorded runs carry no latency or cost, so
those terms are neutral for everyone.

Reported per run: the full-run layer (all tasks), the share of replays whose adaptive
layer equals it, and the mean share of the tasks asked. docs/adaptive.md holds the table.

Usage:
    python scripts/adaptive_replay.py                       # every run, 200 orders each
    python scripts/adaptive_replay.py --only 'humaneval/*' --orders 50 --json
    python scripts/adaptive_replay.py --markdown            # the table of docs/adaptive.md
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import sys
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.datafiles import read_json_records  # noqa: E402
from benchmarks.layering import DEFAULT_CATEGORY_WEIGHTS, BenchmarkEvidence  # noqa: E402
from benchmarks.sequential import (  # noqa: E402
    DEFAULT_CONFIDENCE,
    FullRunLayers,
    confidence_sequence,
    count_interval,
    decided_layer,
)
from benchmarks.stats import wilson_interval  # noqa: E402
from router.measurement import task_set_hash  # noqa: E402

SHARED = Path(os.environ.get("ROUTERX_SHARED_DATA") or REPO.parent / "shared" / "data")
CATEGORY = "code-generation"
ID_FIELDS = ("task_id", "problem_id", "name")
VERDICT_FIELDS = ("passed", "evaluation", "is_solved")


@dataclass(frozen=True)
class RecordedRun:
    """One file of recorded verdicts: a model on a task set."""

    name: str  # the file, relative to the shared data
    benchmark: str
    verdicts: dict[str, bool]

    @property
    def task_set(self) -> str:
        return task_set_hash(self.verdicts)


@dataclass(frozen=True)
class RunReplay:
    run: str
    benchmark: str
    tasks: int
    population: int
    full_pass: int
    full_layer: int
    orders: int
    same_layer: float
    mean_asked: float
    asked_p10: float
    asked_p90: float
    #: how many passes more or fewer would change the full-run layer (None: none would)
    margin: int | None
    #: half the width, in tasks, of the 95% sequence after 40% of the tasks
    half_width_at_40: float


def read_run(path: Path, shared: Path = SHARED) -> RecordedRun:
    """The per-task verdict of every record (the source harness's own flag)."""
    verdicts: dict[str, bool] = {}
    for where, record in read_json_records(path, "recorded run"):
        task = next((record[f] for f in ID_FIELDS if f in record), None)
        flag = next((record[f] for f in VERDICT_FIELDS if f in record), None)
        if task is None or not isinstance(flag, bool):
            raise ValueError(f"{where}: no task id ({', '.join(ID_FIELDS)}) or boolean "
                             f"verdict ({', '.join(VERDICT_FIELDS)})")
        if str(task) in verdicts:
            raise ValueError(f"{where}: task {task} recorded twice")
        verdicts[str(task)] = flag
    relative = path.relative_to(shared)
    return RecordedRun(str(relative), relative.parts[0], verdicts)


def recorded_runs(shared: Path = SHARED) -> list[RecordedRun]:
    files = sorted(p for sub in ("humaneval", "mbpp") for p in (shared / sub).glob("*/*.jsonl"))
    if not files:
        raise SystemExit(f"no recorded runs under {shared}/{{humaneval,mbpp}}/; set "
                         "ROUTERX_SHARED_DATA to the shared data directory")
    return [read_run(p, shared) for p in files]


def full_evidence(run: RecordedRun) -> BenchmarkEvidence:
    n, k = len(run.verdicts), sum(run.verdicts.values())
    low, high = wilson_interval(k, n)
    return BenchmarkEvidence(k / n, float(low), float(high), None, None)


def layer_rule(run: RecordedRun, population: Sequence[RecordedRun]) -> FullRunLayers:
    others = {o.name: {o.benchmark: full_evidence(o)} for o in population if o is not run}
    return FullRunLayers(run.name, CATEGORY, DEFAULT_CATEGORY_WEIGHTS[CATEGORY], others,
                         {run.benchmark: len(run.verdicts)})


def replay_once(outcomes: np.ndarray, rule: FullRunLayers, benchmark: str,
                alpha: float) -> tuple[int, int]:
    """(tasks asked, layer) for one order of the outcomes."""
    n = outcomes.size
    bounds = confidence_sequence(outcomes.tolist(), n, alpha)
    for t, (low, high) in enumerate(bounds.tolist(), start=1):
        layer = decided_layer({benchmark: (low, high)}, rule.layer)
        if layer is not None:
            return t, layer
    raise AssertionError("the sequence is exact once every task is asked")  # pragma: no cover


def replay_run(run: RecordedRun, population: Sequence[RecordedRun], orders: int,
               confidence: float, seed: int) -> RunReplay:
    ids = sorted(run.verdicts)
    y = np.array([run.verdicts[i] for i in ids], dtype=bool)
    rule = layer_rule(run, population)
    full = rule.layer({run.benchmark: int(y.sum())})
    # one stream per run, so a run's replays do not depend on which others are replayed
    rng = np.random.default_rng([seed, zlib.crc32(run.name.encode())])
    asked, same = [], 0
    for _ in range(orders):
        t, layer = replay_once(y[rng.permutation(y.size)], rule, run.benchmark,
                               1 - confidence)
        asked.append(t / y.size)
        same += layer == full
    shares = np.array(asked)
    return RunReplay(run.name, run.benchmark, y.size, len(population), int(y.sum()), full,
                     orders, same / orders, float(shares.mean()),
                     float(np.percentile(shares, 10)), float(np.percentile(shares, 90)),
                     margin(rule, run.benchmark, y.size, int(y.sum())),
                     half_width(y.size, int(y.sum()), 0.4, 1 - confidence))


def margin(rule: FullRunLayers, benchmark: str, n: int, passes: int) -> int | None:
    """The distance from the full run's count to the nearest count with another layer:
    the sequence must shrink below it (on the side it falls) before the layer is known."""
    layer = rule.layer({benchmark: passes})
    other = [abs(c - passes) for c in range(n + 1) if rule.layer({benchmark: c}) != layer]
    return min(other) if other else None


def half_width(n: int, passes: int, share: float, alpha: float) -> float:
    """Half the width of the sequence's set when `share` of the tasks were asked and
    passed at the full run's rate (a typical order)."""
    asked = math.ceil(share * n)
    low, high = count_interval(n, asked, round(passes * asked / n), alpha)
    return (high - low) / 2


def replay_all(runs: Sequence[RecordedRun], orders: int, confidence: float, seed: int,
               only: Sequence[str] = ()) -> list[RunReplay]:
    groups: dict[tuple[str, str], list[RecordedRun]] = {}
    for r in runs:
        groups.setdefault((r.benchmark, r.task_set), []).append(r)
    out = []
    for group in groups.values():
        for run in group:
            if only and not any(fnmatch.fnmatch(run.name, pattern) for pattern in only):
                continue
            if len(group) < 2:
                continue  # nobody to be placed against
            out.append(replay_run(run, group, orders, confidence, seed))
    return out


def summary(rows: Sequence[RunReplay]) -> dict[str, Any]:
    return {
        "runs": len(rows),
        "same_layer": float(np.mean([r.same_layer for r in rows])) if rows else None,
        "worst_same_layer": min((r.same_layer for r in rows), default=None),
        "mean_asked": float(np.mean([r.mean_asked for r in rows])) if rows else None,
    }


def markdown(rows: Sequence[RunReplay], confidence: float, orders: int) -> str:
    lines = [f"confidence {confidence:.0%}, {orders} random task orders per run", "",
             "| run | tasks | others | full-run pass | full-run layer | same layer | "
             "tasks asked (mean) | asked p10-p90 | margin | half-width at 40% |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in rows:
        lines.append(
            f"| `{r.run}` | {r.tasks} | {r.population - 1} | {r.full_pass} "
            f"({r.full_pass / r.tasks:.1%}) | {r.full_layer} | {r.same_layer:.1%} | "
            f"{r.mean_asked:.1%} | {r.asked_p10:.0%}-{r.asked_p90:.0%} | "
            f"{'-' if r.margin is None else r.margin} | {r.half_width_at_40:.1f} |")
    s = summary(rows)
    if rows:
        lines.append(f"| **all {s['runs']} runs** | | | | | {s['same_layer']:.1%} "
                     f"(worst {s['worst_same_layer']:.1%}) | {s['mean_asked']:.1%} | | | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="random task orders per run")
    parser.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", default=[],
                        help="replay only runs matching this glob (repeatable)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object")
    out.add_argument("--markdown", action="store_true", help="the table for docs/adaptive.md")
    args = parser.parse_args(argv)
    if args.orders < 1 or not 0 < args.confidence < 1:
        parser.error("--orders must be >= 1 and --confidence in (0, 1)")
    rows = replay_all(recorded_runs(), args.orders, args.confidence, args.seed, args.only)
    if args.json:
        print(json.dumps({"confidence": args.confidence, "orders": args.orders,
                          "seed": args.seed, "summary": summary(rows),
                          "runs": [asdict(r) for r in rows]}, indent=2))
    elif args.markdown:
        print(markdown(rows, args.confidence, args.orders))
    else:
        for r in rows:
            print(f"{r.run:68s} layer {r.full_layer}  same {r.same_layer:6.1%}  "
                  f"asked {r.mean_asked:6.1%}")
        s = summary(rows)
        if rows:
            print(f"all {s['runs']} runs: same layer {s['same_layer']:.1%} (worst "
                  f"{s['worst_same_layer']:.1%}), tasks asked {s['mean_asked']:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
