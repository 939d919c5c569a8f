"""``swebench`` in the benchmark registry, and ``routerx evaluate``'s path through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.evaluate import evaluate_file, results_path_for
from benchmarks.registry import get_benchmark
from benchmarks.swebench import SWEBench, evaluate_predictions
from benchmarks.swebench.config import load_settings, load_specs
from benchmarks.swebench.environment import RepoSpec
from benchmarks.swebench.instances import Instance
from router.errors import ConfigError, InputError
from tests.benchmarks.swebench import calc_repo


def _data(tmp_path: Path, inst: Instance) -> Path:
    other = Instance(**{**inst.__dict__, "instance_id": "routerx-tests__calc-2"})
    path = tmp_path / "instances.jsonl"
    path.write_text("".join(json.dumps(i.to_record()) + "\n" for i in (inst, other)))
    return path


def test_registered_with_the_predictions_format() -> None:
    bench = get_benchmark("swebench")
    assert isinstance(bench, SWEBench)
    assert (bench.id_field, bench.completion_field) == ("instance_id", "model_patch")
    assert bench.protocol_version.startswith("swebench-oracle-")
    verified = get_benchmark("swebench-verified")
    assert verified.dataset == "princeton-nlp/SWE-bench_Verified"
    assert bench.dataset == "princeton-nlp/SWE-bench_Lite"


def test_load_from_data_argument_or_setting(tmp_path: Path, calc_instance: Instance,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bench = SWEBench()
    data = _data(tmp_path, calc_instance)
    assert [t.task_id for t in bench.load(data=data)] == [
        "routerx-tests__calc-1", "routerx-tests__calc-2"]
    assert [t.task_id for t in bench.load(data=data, ids=["routerx-tests__calc-2", "nope"])] \
        == ["routerx-tests__calc-2"]  # unknown ids are absent (the registry contract)
    assert len(bench.load(data=data, limit=1)) == 1
    assert len(bench.load(data=data, repos=["calc"], sample=1, seed=3)) == 1
    monkeypatch.setenv("ROUTERX_SWEBENCH_PATH", str(data))
    assert len(bench.load()) == 2
    monkeypatch.delenv("ROUTERX_SWEBENCH_PATH")
    with pytest.raises(ConfigError, match="Hugging Face hub"):  # offline, nothing cached
        bench.load()


def test_prompt_and_extract_through_the_registry(calc_mirror: tuple[Path, str],
                                                 calc_instance: Instance,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_SWEBENCH_MIRROR", str(calc_mirror[0]))
    bench = get_benchmark("swebench")
    messages = bench.prompt(calc_instance)
    assert calc_repo.ISSUE in messages[-1]["content"]
    answer = f"Fix:\n<patch>\n{calc_repo.REFERENCE_PATCH}</patch>"
    assert bench.extract(calc_instance, answer) == calc_repo.REFERENCE_PATCH
    assert bench.reference(calc_instance) == calc_repo.REFERENCE_PATCH


def test_unknown_ids_and_empty_patches_need_no_sandbox(
        calc_instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_SWEBENCH_EXECUTOR", "local")
    settings = load_settings()
    with pytest.raises(InputError, match="prediction 2: unknown instance_id 'nope'"):
        evaluate_predictions([calc_instance], [
            {"instance_id": calc_instance.instance_id, "model_patch": "x"},
            {"instance_id": "nope", "model_patch": "x"}], settings=settings)
    seen = []
    verdicts = evaluate_predictions(
        [calc_instance], [{"instance_id": calc_instance.instance_id, "model_patch": None},
                          {"instance_id": calc_instance.instance_id, "model_patch": ""}],
        settings=settings, on_result=lambda i, v: seen.append(i))
    assert [v.status for v in verdicts] == ["patch_failed", "patch_failed"]
    assert seen == [0, 1]


def test_settings_and_recipe_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_SWEBENCH_EXECUTOR", "sometimes")
    with pytest.raises(ConfigError, match="ROUTERX_SWEBENCH_EXECUTOR: Input should be .auto."):
        load_settings()
    monkeypatch.setenv("ROUTERX_SWEBENCH_EXECUTOR", "local")
    monkeypatch.setenv("MIRROR", "/not/this")  # only ROUTERX_SWEBENCH_* names count
    assert load_settings().mirror is None
    assert load_settings().resolved_cache_dir == tmp_path / "xdg-cache" / "routerx" / "swebench"
    specs = tmp_path / "specs.json"
    specs.write_text(json.dumps({"o/r": {"test_cmd": "pytest", "pip_packages": ["six"]}}))
    assert load_specs(specs) == {"o/r": RepoSpec(test_cmd="pytest", pip_packages=("six",))}
    specs.write_text(json.dumps({"o/r": {"test_cmd": "pytest", "colour": "blue"}}))
    with pytest.raises(ConfigError, match="unknown keys colour"):
        load_specs(specs)


def test_evaluate_file_end_to_end_in_the_sandbox(
        tmp_path: Path, calc_mirror: tuple[Path, str], calc_instance: Instance,
        calc_spec: RepoSpec, env_root: Path, sandbox: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What `routerx evaluate --benchmark swebench --samples preds.jsonl` runs."""
    specs = tmp_path / "specs.json"
    specs.write_text(json.dumps({calc_repo.REPO: {
        "test_cmd": calc_spec.test_cmd, "inherit": list(calc_spec.inherit),
        "parser": calc_spec.parser}}))
    monkeypatch.setenv("ROUTERX_SWEBENCH_MIRROR", str(calc_mirror[0]))
    monkeypatch.setenv("ROUTERX_SWEBENCH_SPECS", str(specs))
    monkeypatch.setenv("ROUTERX_SWEBENCH_CACHE", str(env_root / "cli"))
    monkeypatch.setenv("ROUTERX_SWEBENCH_EXECUTOR", "auto")  # no engine here: local
    preds = tmp_path / "preds.jsonl"
    rows = [("routerx-tests__calc-1", calc_repo.REFERENCE_PATCH),
            ("routerx-tests__calc-2", calc_repo.WRONG_PATCH),
            ("routerx-tests__calc-1", calc_repo.GARBAGE_PATCH)]
    preds.write_text("".join(json.dumps({"instance_id": i, "model_patch": p,
                                         "model_name_or_path": "m"}) + "\n" for i, p in rows))
    # no sandbox passed, as the CLI does: the suite opens its own
    evaluation = evaluate_file("swebench", preds, data=_data(tmp_path, calc_instance), ks=[1])
    summary = evaluation.summary()
    assert summary["verdicts"] == {"passed": 1, "failed": 1, "patch_failed": 1}
    assert summary["n_tasks"] == 2 and summary["n_samples"] == 3
    assert summary["pass_at_k"]["1"] == pytest.approx((0.5 + 0.0) / 2)
    lines = [json.loads(x) for x in results_path_for(preds).read_text().splitlines()]
    assert [x["passed"] for x in lines] == [True, False, False]
    assert lines[1]["result"].startswith("failed: FAIL_TO_PASS failing")
    assert lines[2]["model_name_or_path"] == "m"  # the record's own fields are kept


def test_gold_validation_command(tmp_path: Path, calc_mirror: tuple[Path, str],
                                 calc_instance: Instance, calc_spec: RepoSpec, env_root: Path,
                                 sandbox: object, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.swebench.validate import main

    specs = tmp_path / "specs.json"
    specs.write_text(json.dumps({calc_repo.REPO: {
        "test_cmd": calc_spec.test_cmd, "inherit": list(calc_spec.inherit),
        "parser": calc_spec.parser}}))
    monkeypatch.setenv("ROUTERX_SWEBENCH_SPECS", str(specs))
    monkeypatch.setenv("ROUTERX_SWEBENCH_CACHE", str(env_root / "cli"))
    code = main(["--data", str(_data(tmp_path, calc_instance)), "--ids",
                 "routerx-tests__calc-1", "--repo-mirror", str(calc_mirror[0]),
                 "--executor", "local", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["instances"] == 1 and summary["gold_resolved"] == 1


def test_instances_run_in_parallel_up_to_the_workers(
        calc_executor: object, calc_instance: Instance, sandbox: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers: both evaluations are under way at once, verdicts keep their order."""
    import threading

    monkeypatch.setenv("ROUTERX_SWEBENCH_WORKERS", "2")
    both_running = threading.Barrier(2, timeout=120)
    evaluate = calc_executor.evaluate

    def meeting(instance: Instance, patch: str, sb: object) -> object:
        both_running.wait()  # raises BrokenBarrierError if they ran one after the other
        return evaluate(instance, patch, sb)

    monkeypatch.setattr(calc_executor, "evaluate", meeting)
    verdicts = evaluate_predictions(
        [calc_instance], [{"instance_id": calc_instance.instance_id, "model_patch": p}
                          for p in (calc_repo.REFERENCE_PATCH, calc_repo.GARBAGE_PATCH)],
        sandbox, settings=load_settings(), executor="local", local=calc_executor)
    assert [v.status for v in verdicts] == ["passed", "patch_failed"]
