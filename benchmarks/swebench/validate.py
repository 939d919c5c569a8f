"""Prove an executor on real instances: every gold patch must resolve.

    python -m benchmarks.swebench.validate --data lite.json.gz --repos pallets/flask \
        --repo-mirror /srv/mirrors [--executor local] [--json]

The SWE-bench authors validate their harness the same way (gold predictions): a gold
patch that does not resolve means the executor or the environment is wrong, not the
patch. Needs the repositories (a mirror, or ROUTERX_SWEBENCH_CLONE=1) and, the first
time per environment, PyPI for the venv. Prints one line per instance and a summary
(instances routerx cannot judge here, with an infrastructure verdict, counted apart);
exits 1 if any gold patch did not resolve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.swebench.evaluation import evaluate_predictions
from benchmarks.swebench.instances import read_instances, select
from benchmarks.swebench.local import InstanceVerdict
from benchmarks.verdicts import is_infrastructure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help=".json/.jsonl(.gz) instances")
    parser.add_argument("--repos", nargs="*", help="owner/name or name (default: all)")
    parser.add_argument("--ids", nargs="*", help="instance ids (default: all)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--repo-mirror", type=Path, help="directory of owner__name repos")
    parser.add_argument("--executor", choices=["auto", "docker", "local"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    instances = select(read_instances(args.data), ids=args.ids, repos=args.repos,
                       limit=args.limit)
    predictions = [{"instance_id": i.instance_id, "model_patch": i.patch} for i in instances]
    start = time.monotonic()

    def show(index: int, v: InstanceVerdict) -> None:
        if not args.json:
            print(f"{v.instance_id}: {v.status} ({v.duration_s or 0:.1f}s) {v.detail}"[:300],
                  flush=True)

    verdicts = evaluate_predictions(instances, predictions, repo_mirror=args.repo_mirror,
                                    executor=args.executor, on_result=show)
    resolved = sum(v.resolved for v in verdicts)
    infrastructure = [v for v in verdicts if is_infrastructure(v.status)]
    summary = {"instances": len(verdicts), "gold_resolved": resolved,
               "not_judged_here": len(infrastructure),
               "verdicts": {s: sum(v.status == s for v in verdicts)
                            for s in sorted({v.status for v in verdicts})},
               "seconds": round(time.monotonic() - start, 1)}
    print(json.dumps(summary) if args.json else
          f"gold patches resolved: {resolved}/{len(verdicts)} in {summary['seconds']}s"
          f" ({len(infrastructure)} not judged here: routerx's environment, not the patch)")
    return 0 if resolved == len(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
