"""`routerx evaluate` end to end: samples run in the sandbox, results beside the file.

Needs the sandbox (benchmarks.sandbox); model code never runs in the test process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks import execution, reference_timeouts
from benchmarks.evaluate import evaluate_file
from benchmarks.registry import get_benchmark
from router.cli import app

runner = CliRunner()

HE0_BODY = get_benchmark("humaneval").load(ids=["HumanEval/0"])[0].reference
HE0_WHOLE = (
    "from typing import List\n\n"
    "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
    "    return any(abs(a - b) < threshold\n"
    "               for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"
)
HE2_BODY = "    return number % 1.0\n"  # HumanEval/2 truncate_number


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def he_samples(tmp_path: Path) -> Path:
    return write_samples(tmp_path / "samples.jsonl", [
        {"task_id": "HumanEval/0", "completion": HE0_BODY, "model": "ref"},
        {"task_id": "HumanEval/0", "completion": HE0_WHOLE, "model": "whole"},
        {"task_id": "HumanEval/0", "completion": "    return True\n", "model": "wrong"},
        {"task_id": "HumanEval/2", "completion": HE2_BODY},
        {"task_id": "HumanEval/2", "completion": "    while True:\n        pass\n"},
        {"task_id": "HumanEval/2", "completion": "    return number +\n"},
    ])


@pytest.mark.slow  # measures every reference solution: 9-13 s
def test_results_file_in_input_order_with_verdicts(he_samples: Path) -> None:
    evaluation = evaluate_file("humaneval", he_samples)
    out = he_samples.with_name("samples.jsonl_results.jsonl")
    assert evaluation.results_path == out
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["passed"] for line in lines] == [True, True, False, True, False, False]
    assert lines[0]["model"] == "ref" and lines[0]["completion"] == HE0_BODY
    assert lines[0]["result"] == "passed"
    assert lines[2]["result"].startswith("failed")
    assert lines[4]["result"] == "timeout" or lines[4]["result"].startswith("timeout")
    assert lines[5]["result"].startswith(("error", "failed"))
    assert "SyntaxError" in lines[5]["result"]
    # task 0: n=3 c=2 -> pass@1 = 2/3; task 2: n=3 c=1 -> 1/3; mean 0.5
    # pass@2: task 0: 1 - C(1,2)/C(3,2) = 1 (n-c=1<2); task 2: 1 - C(2,2)/C(3,2) = 2/3
    summary = evaluation.summary()
    assert summary["pass_at_k"] == pytest.approx({"1": 0.5})
    assert summary["n_tasks"] == 2 and summary["n_samples"] == 6
    assert summary["verdicts"]["passed"] == 3
    assert sum(summary["verdicts"].values()) == 6
    assert evaluate_file("humaneval", he_samples, ks=(2,)).pass_at_k == pytest.approx(
        {"2": (1 + 2 / 3) / 2})


def test_cli_json_is_exactly_one_object(he_samples: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--benchmark", "humaneval", "--samples",
                                 str(he_samples), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"benchmark", "n_tasks", "n_samples", "pass_at_k", "verdicts"}
    assert data["benchmark"] == "humaneval"
    assert data["pass_at_k"] == pytest.approx({"1": 0.5})


def test_cli_table(he_samples: Path) -> None:
    result = runner.invoke(app, ["evaluate", "-b", "humaneval", "-s", str(he_samples)])
    assert result.exit_code == 0, result.output
    assert "pass@1" in result.stdout and "0.5000" in result.stdout
    assert "samples.jsonl_results.jsonl" in result.stdout


def test_mbpp_fixture_references_and_a_body(tmp_path: Path, mbpp_fixture: Path) -> None:
    bench = get_benchmark("mbpp")
    tasks = bench.load(data=mbpp_fixture, ids=["3", "11", "12", "13", "14", "520"])
    rows = [{"task_id": t.metadata["number"], "completion": t.reference} for t in tasks]
    rows.append({"task_id": 11, "completion": "    return len([c for c in s.lower() "
                                              "if c in 'aeiou'])\n"})
    rows.append({"task_id": "MBPP/12", "completion": "def tree_depth(node):\n    return 3\n"})
    path = write_samples(tmp_path / "mbpp.jsonl", rows)
    evaluation = evaluate_file("mbpp", path, data=mbpp_fixture)
    assert [r.passed for r in evaluation.results] == [True] * 7 + [False]


@pytest.mark.slow  # measures every reference solution: 9-13 s
def test_reference_runtimes_are_cached_per_program(he_samples: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate_file("humaneval", he_samples)
    cache = reference_timeouts.cache_file(get_benchmark("humaneval"))
    entries = json.loads(cache.read_text())
    assert set(entries) == {"HumanEval/0", "HumanEval/2"}
    assert all(e["status"] == "passed" and e["seconds"] > 0 for e in entries.values())

    measured: list[int] = []
    original = execution.run_jobs

    def counting(sandbox, jobs, on_result=None):  # noqa: ANN001, ANN202
        measured.append(len(jobs))
        return original(sandbox, jobs, on_result=on_result)

    monkeypatch.setattr(execution, "run_jobs", counting)
    evaluate_file("humaneval", he_samples)
    assert measured == [6]  # the samples only: both references came from the cache
    entries["HumanEval/2"]["sha256"] = "stale"
    cache.write_text(json.dumps(entries))
    measured.clear()
    evaluate_file("humaneval", he_samples)
    assert measured == [1, 6]  # the changed task is measured again


def test_infrastructure_outcomes_are_reported_but_not_scored() -> None:
    """A sample the sandbox could not judge says nothing about the model: it is in the
    results and the verdict counts, not in pass@k."""
    from benchmarks.evaluate import evaluate_samples
    from benchmarks.registry import Sample, SampleResult

    class Stub:
        name, protocol_version = "stub", "stub-1"

        def evaluate(self, tasks, samples, sandbox=None, on_result=None):  # noqa: ANN001, ANN201
            return [SampleResult("passed", True), SampleResult("sandbox", False, "judge died"),
                    SampleResult("failed", False), SampleResult("sandbox", False, "judge died")]

    samples = [Sample("A", ""), Sample("A", ""), Sample("B", ""), Sample("C", "")]
    evaluation = evaluate_samples(Stub(), {}, [{}] * 4, samples, ks=(1,))
    assert evaluation.per_task == {"A": (1, 1), "B": (1, 0)}  # C never ran: not a task here
    assert evaluation.pass_at_k == {"1": 0.5}
    assert evaluation.verdicts == {"passed": 1, "failed": 1, "sandbox": 2}
