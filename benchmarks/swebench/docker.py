"""The official path: where a Docker engine answers, the swebench harness judges.

routerx does not reimplement the harness. It writes the instances and predictions to
files, runs ``python -m swebench.harness.run_evaluation`` (its documented command
line) in a work directory, and reads back the per-instance ``report.json`` files the
harness writes under ``logs/run_evaluation/<run_id>/<model>/<instance_id>/``.

"Available" means ``docker info`` succeeds: a ``docker`` client without a reachable
engine (this machine has one) is not enough.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from benchmarks.swebench.instances import Instance
from benchmarks.swebench.local import InstanceVerdict

MODEL_NAME = "routerx"
DOCKER_INFO_TIMEOUT_S = 20.0


def docker_available(timeout_s: float = DOCKER_INFO_TIMEOUT_S) -> bool:
    """Whether a Docker engine answers ``docker info`` here."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        done = subprocess.run([docker, "info"], capture_output=True, timeout=timeout_s,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def choose_executor(preference: str, available: Callable[[], bool] = docker_available) -> str:
    """``docker`` or ``local``. ``auto`` asks the engine; ``docker`` without an engine is
    an error rather than a silent fallback (the verdicts of the two paths differ in
    provenance, and the caller asked for the official one)."""
    from router.errors import ConfigError

    if preference == "local":
        return "local"
    if available():
        return "docker"
    if preference == "docker":
        raise ConfigError("ROUTERX_SWEBENCH_EXECUTOR=docker but no Docker engine answers "
                          "`docker info`; start one, or use auto/local")
    return "local"


def harness_argv(dataset: Path, predictions: Path, run_id: str, instance_ids: Sequence[str],
                 workers: int, timeout_s: float) -> list[str]:
    """The harness's documented command line."""
    return [
        sys.executable, "-m", "swebench.harness.run_evaluation",
        "--dataset_name", str(dataset), "--split", "test",
        "--predictions_path", str(predictions), "--run_id", run_id,
        "--max_workers", str(workers), "--timeout", str(int(timeout_s)),
        "--instance_ids", *instance_ids,
    ]


def read_verdict(log_dir: Path, instance_id: str) -> InstanceVerdict:
    """One instance's verdict from the harness's files (report, else its run log)."""
    from swebench.harness.constants import APPLY_PATCH_FAIL, LOG_INSTANCE, LOG_REPORT

    report_path = log_dir / LOG_REPORT
    if report_path.is_file():
        report = json.loads(report_path.read_text()).get(instance_id, {})
        tests = report.get("tests_status", {})
        if report.get("resolved"):
            return InstanceVerdict(instance_id, "passed", tests=tests)
        if not report.get("patch_successfully_applied"):
            return InstanceVerdict(instance_id, "error", "the harness found no test results",
                                   tests=tests)
        failing = {k: v.get("failure", []) for k, v in tests.items()
                   if k in ("FAIL_TO_PASS", "PASS_TO_PASS") and v.get("failure")}
        detail = "; ".join(f"{k} failing: {', '.join(v[:5])}" for k, v in failing.items())
        return InstanceVerdict(instance_id, "failed", detail, tests=tests)
    run_log = log_dir / LOG_INSTANCE
    text = run_log.read_text(errors="replace") if run_log.is_file() else ""
    if APPLY_PATCH_FAIL in text:
        return InstanceVerdict(instance_id, "patch_failed", "the patch does not apply",
                               log_tail=text[-2000:])
    if "Timed out" in text or "timed out" in text:
        return InstanceVerdict(instance_id, "timeout", "the harness timed out",
                               log_tail=text[-2000:])
    return InstanceVerdict(instance_id, "error",
                           f"the harness wrote no report (see {run_log})", log_tail=text[-2000:])


def evaluate_with_harness(
    instances: Mapping[str, Instance],
    predictions: Sequence[tuple[str, str]],
    workdir: Path,
    workers: int = 1,
    timeout_s: float = 1800.0,
    argv_for: Callable[..., list[str]] = harness_argv,
) -> list[InstanceVerdict]:
    """Verdicts for ``(instance_id, model_patch)`` pairs, in order, by the harness.

    The harness judges one prediction per instance per run, so repeated samples of an
    instance go to successive runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    rounds: list[list[int]] = []
    seen: dict[str, int] = {}
    for index, (iid, _) in enumerate(predictions):
        k = seen.get(iid, 0)
        seen[iid] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(index)
    verdicts: list[InstanceVerdict | None] = [None] * len(predictions)
    for indices in rounds:
        run_id = f"routerx-{uuid.uuid4().hex[:12]}"
        run_dir = workdir / run_id
        run_dir.mkdir()
        ids = [predictions[i][0] for i in indices]
        dataset = run_dir / "instances.json"
        dataset.write_text(json.dumps([instances[i].to_record() for i in ids]))
        preds = run_dir / "predictions.jsonl"
        preds.write_text("".join(
            json.dumps({"instance_id": predictions[i][0], "model_patch": predictions[i][1],
                        "model_name_or_path": MODEL_NAME}) + "\n" for i in indices))
        with open(run_dir / "harness.log", "w") as log:
            subprocess.run(argv_for(dataset, preds, run_id, ids, workers, timeout_s),
                           cwd=run_dir, stdout=log, stderr=subprocess.STDOUT, check=False)
        for i in indices:
            iid = predictions[i][0]
            verdicts[i] = read_verdict(run_dir / "logs" / "run_evaluation" / run_id / MODEL_NAME
                                       / iid, iid)
    return [v for v in verdicts if v is not None]
