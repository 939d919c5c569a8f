"""Gold patches of real SWE-bench Lite instances through the local executor.

    python scripts/swebench_gold.py --per-repo 3 [--repos seaborn sympy] [--ids ...]
        [--cache DIR] [--out results.json] [--again]

Unpacks the repository mirrors of ``../shared/data/swebench/mirrors/*.git.tar`` (or
``ROUTERX_SHARED_DATA``) into the cache, picks the first N Lite instances of each
mirrored repository (dataset order, or ``--ids``), and judges each instance's reference
patch, then an empty patch (which must never resolve). Environments are built on first
use (PyPI, slow) and kept in ``--cache`` (default ``~/.cache/routerx/swebench``);
``--again`` judges every gold patch a second time to measure the run with its
environment reused. Prints one line per verdict and writes every verdict, with its
wall time, to ``--out`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.swebench.config import SWEBenchSettings  # noqa: E402
from benchmarks.swebench.evaluation import evaluate_predictions, local_executor  # noqa: E402
from benchmarks.swebench.instances import read_instances, select  # noqa: E402

SHARED = Path(os.environ.get("ROUTERX_SHARED_DATA") or ROOT.parent / "shared" / "data")


def unpack_mirrors(target: Path) -> list[str]:
    """Untar every mirror once; returns the repositories (owner/name) it holds."""
    target.mkdir(parents=True, exist_ok=True)
    repos = []
    for tar in sorted((SHARED / "swebench" / "mirrors").glob("*.git.tar")):
        name = tar.name.removesuffix(".tar")
        if not (target / name).is_dir():
            subprocess.run(["tar", "xf", str(tar), "-C", str(target)], check=True)
        repos.append(name.removesuffix(".git").replace("__", "/", 1))
    return repos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-repo", type=int, default=3)
    parser.add_argument("--repos", nargs="*", help="owner/name or name (default: mirrored)")
    parser.add_argument("--ids", nargs="*")
    parser.add_argument("--cache", type=Path, help="environments, mirrors, scratch "
                        "(default: ROUTERX_SWEBENCH_CACHE, else ~/.cache/routerx/swebench)")
    parser.add_argument("--out", type=Path, default=Path("swebench-gold.json"))
    parser.add_argument("--again", action="store_true", help="judge each gold patch twice")
    parser.add_argument("--no-empty", action="store_true", help="skip the empty patches")
    args = parser.parse_args(argv)

    overrides = {"ROUTERX_SWEBENCH_CACHE": str(args.cache)} if args.cache else {}
    settings = SWEBenchSettings(**overrides)
    mirror = settings.resolved_cache_dir / "mirrors"
    mirrored = unpack_mirrors(mirror)
    if not mirrored:
        print(f"no mirrors under {SHARED / 'swebench' / 'mirrors'}", file=sys.stderr)
        return 2
    lite = read_instances(SHARED / "swebench" / "swe-bench-lite_test_300.json.gz")
    chosen = []
    for repo in args.repos or mirrored:
        picked = select(lite, ids=args.ids, repos=[repo], strict=False)
        chosen += picked if args.ids else picked[:args.per_repo]
    executor = local_executor(settings, mirror)
    rows: list[dict] = []

    def judge(label: str, patches: list[tuple[str, str]]) -> None:
        def show(index: int, verdict) -> None:
            row = {"instance_id": verdict.instance_id, "run": label, "status": verdict.status,
                   "seconds": round(verdict.duration_s or 0.0, 1), "detail": verdict.detail}
            rows.append(row)
            print(f"{label:6} {verdict.instance_id:32} {verdict.status:20} "
                  f"{row['seconds']:7.1f}s {verdict.detail[:160]}", flush=True)
            args.out.write_text(json.dumps(rows, indent=1))

        evaluate_predictions(chosen, [{"instance_id": i, "model_patch": p} for i, p in patches],
                             settings=settings, executor="local", local=executor,
                             on_result=show)

    start = time.monotonic()
    judge("gold", [(i.instance_id, i.patch) for i in chosen])
    gold_wall = time.monotonic() - start
    if args.again:
        judge("again", [(i.instance_id, i.patch) for i in chosen])
    if not args.no_empty:
        judge("empty", [(i.instance_id, "") for i in chosen])
    gold = [r for r in rows if r["run"] == "gold"]
    by_status: dict[str, int] = {}
    for row in gold:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    resolved = by_status.get("passed", 0)
    print(f"gold resolved {resolved}/{len(gold)} in {gold_wall:.0f}s; verdicts {by_status}; "
          f"empty resolved {sum(r['status'] == 'passed' for r in rows if r['run'] == 'empty')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
