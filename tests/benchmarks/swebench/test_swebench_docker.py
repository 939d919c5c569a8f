"""The Docker path: detection, the dispatch decision, and the harness plumbing.

This machine has a docker client but no engine, so the harness itself cannot run here;
these tests check that routerx asks the engine (not just the client), picks the right
executor, builds the harness's documented command line, and reads the harness's
report files back into verdicts (with a stand-in harness that writes them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.swebench.docker import (
    MODEL_NAME,
    choose_executor,
    docker_available,
    evaluate_with_harness,
    harness_argv,
    read_verdict,
)
from benchmarks.swebench.instances import Instance
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo


def _fake_docker(tmp_path: Path, exit_code: int) -> Path:
    bin_dir = tmp_path / f"bin{exit_code}"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(f"#!/bin/sh\n[ \"$1\" = info ] && exit {exit_code}\nexit 99\n")
    docker.chmod(0o755)
    return bin_dir


def test_docker_available_asks_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(_fake_docker(tmp_path, 0)))
    assert docker_available()
    monkeypatch.setenv("PATH", str(_fake_docker(tmp_path, 1)))  # client, no engine
    assert not docker_available()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert not docker_available()


def test_this_machine_has_no_engine_so_auto_means_local() -> None:
    assert choose_executor("auto") == "local"


def test_dispatch_decision() -> None:
    assert choose_executor("auto", lambda: True) == "docker"
    assert choose_executor("auto", lambda: False) == "local"
    assert choose_executor("local", lambda: True) == "local"
    assert choose_executor("docker", lambda: True) == "docker"
    with pytest.raises(ConfigError, match="no Docker engine"):
        choose_executor("docker", lambda: False)


def test_harness_command_line_is_the_documented_one() -> None:
    argv = harness_argv(Path("/d/instances.json"), Path("/d/p.jsonl"), "run1", ["a", "b"], 2,
                        900.0)
    assert argv[:3] == [sys.executable, "-m", "swebench.harness.run_evaluation"]
    flags = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert flags["--dataset_name"] == "/d/instances.json"
    assert flags["--predictions_path"] == "/d/p.jsonl"
    assert flags["--run_id"] == "run1" and flags["--max_workers"] == "2"
    assert flags["--timeout"] == "900"
    assert argv[-3:] == ["--instance_ids", "a", "b"]
    # the flags exist in the installed harness (its argparse would reject unknown ones)
    import swebench.harness.run_evaluation as harness

    source = Path(harness.__file__).read_text()
    for flag in ("--dataset_name", "--split", "--predictions_path", "--run_id",
                 "--max_workers", "--timeout", "--instance_ids"):
        assert f'"{flag}"' in source


# A stand-in for the harness: reads its own command line and predictions, writes the
# files the real one writes (report.json when tests ran; the run log when the patch
# did not apply), deciding "resolved" by whether the patch is the reference one.
STAND_IN = r'''
import json, sys
from pathlib import Path
args = sys.argv[1:]
get = lambda flag: args[args.index(flag) + 1]
run_id = get("--run_id")
dataset = {r["instance_id"]: r for r in json.loads(Path(get("--dataset_name")).read_text())}
for line in Path(get("--predictions_path")).read_text().splitlines():
    pred = json.loads(line)
    iid = pred["instance_id"]
    out = Path("logs/run_evaluation") / run_id / pred["model_name_or_path"] / iid
    out.mkdir(parents=True, exist_ok=True)
    if pred["model_patch"].startswith("garbage"):
        (out / "run_instance.log").write_text(">>>>> Patch Apply Failed:\nerror")
        continue
    ok = pred["model_patch"] == dataset[iid]["patch"]
    f2p = json.loads(dataset[iid]["FAIL_TO_PASS"])
    report = {iid: {"patch_is_None": False, "patch_exists": True,
                    "patch_successfully_applied": True, "resolved": ok,
                    "tests_status": {"FAIL_TO_PASS": {"success": f2p if ok else [],
                                                      "failure": [] if ok else f2p},
                                     "PASS_TO_PASS": {"success": [], "failure": []}}}}
    (out / "report.json").write_text(json.dumps(report))
'''


def test_harness_reports_become_verdicts_in_prediction_order(tmp_path: Path) -> None:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    inst = calc_repo.instance("b" * 40)
    other = Instance(**{**inst.__dict__, "instance_id": "routerx-tests__calc-2"})
    instances = {inst.instance_id: inst, other.instance_id: other}
    seen: list[list[str]] = []

    def argv_for(dataset: Path, preds: Path, run_id: str, ids: list[str], workers: int,
                 timeout_s: float) -> list[str]:
        seen.append(list(ids))
        return [sys.executable, str(script), *harness_argv(dataset, preds, run_id, ids,
                                                           workers, timeout_s)[3:]]

    predictions = [(inst.instance_id, calc_repo.REFERENCE_PATCH),
                   (other.instance_id, calc_repo.WRONG_PATCH),
                   (inst.instance_id, "garbage\n")]  # second sample of one instance
    verdicts = evaluate_with_harness(instances, predictions, tmp_path / "work",
                                     argv_for=argv_for)
    assert [v.status for v in verdicts] == ["passed", "failed", "patch_failed"]
    assert [v.instance_id for v in verdicts] == [p[0] for p in predictions]
    assert verdicts[1].detail == "FAIL_TO_PASS failing: tests/test_ops.py::test_mul"
    # one prediction per instance per harness run: the repeated sample went to a 2nd run
    assert seen == [[inst.instance_id, other.instance_id], [inst.instance_id]]


def test_missing_report_is_an_error_verdict(tmp_path: Path) -> None:
    verdict = read_verdict(tmp_path / MODEL_NAME / "x", "x")
    assert verdict.status == "error" and "no report" in verdict.detail
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "report.json").write_text(json.dumps(
        {"y": {"patch_successfully_applied": False, "resolved": False}}))
    assert read_verdict(tmp_path / "y", "y").status == "error"
