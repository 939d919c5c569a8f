"""Loading HumanEval and MBPP, prompts, and how programs are assembled (no execution)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.registry import get_benchmark
from router.errors import ConfigError
from tests.conftest import shared_path


def test_humaneval_has_the_164_bundled_problems_in_order() -> None:
    tasks = get_benchmark("humaneval").load()
    assert len(tasks) == 164
    assert [t.task_id for t in tasks[:3]] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert tasks[-1].task_id == "HumanEval/163"
    assert tasks[0].entry_point == "has_close_elements"


def test_humaneval_limit_and_ids_keep_suite_order() -> None:
    bench = get_benchmark("humaneval")
    assert [t.task_id for t in bench.load(limit=2)] == ["HumanEval/0", "HumanEval/1"]
    picked = bench.load(ids=["HumanEval/7", "HumanEval/3", "HumanEval/999"])
    assert [t.task_id for t in picked] == ["HumanEval/3", "HumanEval/7"]


def test_humaneval_job_is_human_evals_program_split_at_the_completion() -> None:
    bench = get_benchmark("humaneval")
    task = bench.load(ids=["HumanEval/0"])[0]
    body = "    return False\n"
    job = bench.job(task, body, timeout_s=7.0)
    # the candidate runs prompt + completion; the judge runs the prompt (trusted
    # helpers), then test + check; nothing of the test reaches the candidate
    assert job.program == task.prompt + body
    assert job.context == task.prompt
    assert job.test == task.test + "\n" + "check(has_close_elements)\n"
    assert job.names() == ["has_close_elements"]
    assert job.timeout_s == 7.0
    assert "check(" not in job.program and "METADATA" not in job.program


def test_humaneval_whole_function_keeps_prompt_helpers() -> None:
    bench = get_benchmark("humaneval")
    task = bench.load(ids=["HumanEval/10"])[0]  # prompt defines is_palindrome as a helper
    whole = "def make_palindrome(string: str) -> str:\n    return string\n"
    program = bench.job(task, whole).program
    assert program.startswith(task.prompt)
    assert "def is_palindrome" in program
    assert program.index(whole) > program.index(task.prompt)


def test_humaneval_judge_keeps_the_prompts_own_helpers() -> None:
    # HumanEval/38's test calls encode_cyclic from the prompt: the judge's is the
    # task's own (a completion redefining it changes only the candidate's copy)
    bench = get_benchmark("humaneval")
    task = bench.load(ids=["HumanEval/38"])[0]
    job = bench.job(task, task.reference)
    assert "def encode_cyclic" in job.context
    assert job.names() == ["decode_cyclic"]


def test_humaneval_from_a_file(tmp_path: Path) -> None:
    row = {"task_id": "Toy/0", "prompt": "def f():\n", "entry_point": "f",
           "test": "def check(c):\n    assert c() == 1\n", "canonical_solution": "    return 1\n"}
    path = tmp_path / "toy.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(row) + "\n")
    [task] = get_benchmark("humaneval").load(data=path)
    assert (task.task_id, task.reference) == ("Toy/0", "    return 1\n")
    with pytest.raises(ConfigError, match="not found"):
        get_benchmark("humaneval").load(data=tmp_path / "missing.jsonl")


def test_prompts_are_chat_messages_holding_the_problem() -> None:
    he = get_benchmark("humaneval")
    task = he.load(limit=1)[0]
    messages = he.prompt(task)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert task.prompt.strip() in messages[1]["content"]


def test_mbpp_fixture_default_is_the_test_split(mbpp_fixture: Path) -> None:
    tasks = get_benchmark("mbpp").load(data=mbpp_fixture)
    assert [t.task_id for t in tasks] == ["MBPP/11", "MBPP/12", "MBPP/13", "MBPP/14"]
    assert {t.metadata["split"] for t in tasks} == {"test"}


def test_mbpp_ids_reach_every_split_and_accept_aliases(mbpp_fixture: Path) -> None:
    bench = get_benchmark("mbpp")
    tasks = bench.load(data=mbpp_fixture, ids=[520, "3", "Mbpp/12", "MBPP/999"])
    assert [t.task_id for t in tasks] == ["MBPP/3", "MBPP/12", "MBPP/520"]
    assert [t.metadata["split"] for t in tasks] == ["prompt", "test", "validation"]
    assert bench.load(data=mbpp_fixture, limit=1)[0].task_id == "MBPP/11"


def test_mbpp_entry_point_is_the_tested_function_not_a_helper(mbpp_fixture: Path) -> None:
    bench = get_benchmark("mbpp")
    tasks = {t.task_id: t for t in bench.load(data=mbpp_fixture)}
    assert tasks["MBPP/14"].entry_point == "merge_sorted"  # helper_take is defined first
    assert tasks["MBPP/12"].entry_point == "tree_depth"  # class Node first
    assert tasks["MBPP/11"].metadata["challenge_test_list"]


def test_mbpp_setup_and_asserts_are_the_judges(mbpp_fixture: Path) -> None:
    bench = get_benchmark("mbpp")
    task = bench.load(data=mbpp_fixture, ids=["MBPP/12"])[0]
    job = bench.job(task, task.reference)
    assert "class Node" in job.program
    assert "root = Node(1)" not in job.program and "assert" not in job.program
    assert job.test.index("root = Node(1)") < job.test.index("assert tree_depth(root) == 3")
    # the set-up builds the candidate's own Node objects: both names are the candidate's
    assert job.names() == ["tree_depth", "Node"]
    assert "xyz" not in job.program + job.test  # challenge tests are not run


def test_mbpp_body_completion_gets_the_reference_signature(mbpp_fixture: Path) -> None:
    bench = get_benchmark("mbpp")
    task = bench.load(data=mbpp_fixture, ids=["MBPP/11"])[0]
    assert task.metadata["signature"] == "def count_vowels(s):"
    program = bench.job(task, "    return 0\n").program
    assert program.startswith("def count_vowels(s):\n    return 0\n")


def test_mbpp_sanitized_format_with_test_imports(mbpp_sanitized_fixture: Path) -> None:
    bench = get_benchmark("mbpp-sanitized")
    tasks = bench.load(data=mbpp_sanitized_fixture)
    assert [t.task_id for t in tasks] == ["MBPP/11", "MBPP/13"]
    job = bench.job(tasks[1], tasks[1].reference)
    assert job.program.startswith("import math\n")  # a solution may rely on the imports
    assert job.context == "import math\n"  # and the judge's test does
    assert tasks[1].prompt == "Compute the hypotenuse of a right triangle."
    messages = bench.prompt(tasks[1])
    assert "math.isclose(hypotenuse(3, 4), 5.0)" in messages[-1]["content"]


def test_mbpp_env_path(mbpp_fixture: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_MBPP_PATH", str(mbpp_fixture))
    assert len(get_benchmark("mbpp").load()) == 4


def test_mbpp_without_data_offline_says_how_to_fix() -> None:
    with pytest.raises(ConfigError, match="--data PATH"):
        get_benchmark("mbpp").load()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"task_id": 11, "code": "def f(): pass"}\n', "test_list"),
        ('{"task_id": 11\n', "line 1: invalid JSON"),
        ('[1, 2]', "expected a JSON object"),
        ("", "no MBPP records"),
        ('{"task_id": 11, "text": "t", "code": "x = 1", "test_list": ["assert x"]}\n',
         "no function"),
    ],
)
def test_mbpp_bad_files_name_the_problem(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        get_benchmark("mbpp").load(data=path)


@pytest.mark.shared_data
def test_mbpp_real_files_load() -> None:
    full = get_benchmark("mbpp").load(data=shared_path("datasets", "mbpp.jsonl"))
    assert len(full) == 500 and full[0].task_id == "MBPP/11"
    everything = get_benchmark("mbpp").load(data=shared_path("datasets", "mbpp.jsonl"),
                                            ids=[str(i) for i in range(1, 975)])
    assert len(everything) == 974
    sanitized = get_benchmark("mbpp-sanitized").load(
        data=shared_path("datasets", "sanitized-mbpp.json"))
    assert len(sanitized) == 257  # the sanitized test split


def test_mbpp_from_the_hub_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub path turns every split of `datasets.load_dataset` into tasks, suite order.

    `datasets` is optional and the tests are offline, so a stand-in module answers with
    rows in the hub's schema (the full config's field names)."""
    import sys
    import types

    rows = {
        "train": [{"task_id": 601, "text": "t", "code": "def f(x):\n    return x",
                   "test_list": ["assert f(1) == 1"], "test_setup_code": "",
                   "challenge_test_list": []}],
        "test": [{"task_id": 12, "text": "t", "code": "def g(x):\n    return -x",
                  "test_list": ["assert g(1) == -1"], "test_setup_code": "",
                  "challenge_test_list": []},
                 {"task_id": 11, "text": "t", "code": "def h():\n    return 0",
                  "test_list": ["assert h() == 0"], "test_setup_code": "",
                  "challenge_test_list": []}],
    }
    calls: list[tuple] = []

    def load_dataset(name: str, config: str) -> dict:
        calls.append((name, config))
        return rows

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    tasks = get_benchmark("mbpp").load()
    assert [t.task_id for t in tasks] == ["MBPP/11", "MBPP/12"]
    assert calls == [("google-research-datasets/mbpp", "full")]
    assert get_benchmark("mbpp-sanitized").load(ids=["601"])[0].entry_point == "f"
    assert calls[-1] == ("google-research-datasets/mbpp", "sanitized")


def test_mbpp_hub_failure_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    def load_dataset(name: str, config: str) -> dict:
        raise ConnectionError("offline")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    with pytest.raises(ConfigError, match="cannot load google-research-datasets/mbpp.*--data"):
        get_benchmark("mbpp").load()
