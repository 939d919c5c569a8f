"""Loading SWE-bench instances and choosing subsets (built data, and the real Lite 300)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.swebench.instances import Instance, from_hub, read_instances, select
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo
from tests.conftest import shared_path


def _records(n: int) -> list[dict]:
    base = calc_repo.instance("a" * 40).to_record()
    repos = ["org/alpha", "org/beta", "other/gamma"]
    return [{**base, "instance_id": f"{repos[i % 3].replace('/', '__')}-{i}",
             "repo": repos[i % 3]} for i in range(n)]


def _write(path: Path, records: list[dict], jsonl: bool) -> Path:
    text = ("".join(json.dumps(r) + "\n" for r in records) if jsonl else json.dumps(records))
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name,jsonl", [("a.json", False), ("a.jsonl", True),
                                        ("a.json.gz", False), ("a.jsonl.gz", True)])
def test_reads_every_file_format(tmp_path: Path, name: str, jsonl: bool) -> None:
    records = _records(4)
    instances = read_instances(_write(tmp_path / name, records, jsonl))
    assert [i.instance_id for i in instances] == [r["instance_id"] for r in records]
    first = instances[0]
    assert first.fail_to_pass == ("tests/test_ops.py::test_mul",)  # JSON string decoded
    assert first.task_id == first.instance_id
    assert first.to_record() == records[0]  # round trip to the dataset's own format


def test_tests_may_be_lists_not_json_strings(tmp_path: Path) -> None:
    record = {**_records(1)[0], "FAIL_TO_PASS": ["t1", "t2"], "PASS_TO_PASS": []}
    (inst,) = read_instances(_write(tmp_path / "x.jsonl", [record], True))
    assert inst.fail_to_pass == ("t1", "t2") and inst.pass_to_pass == ()


def test_bad_files_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_instances(tmp_path / "missing.json")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_records(1)[0]) + "\n{oops\n")
    with pytest.raises(ConfigError, match="line 2"):
        read_instances(bad)
    incomplete = {k: v for k, v in _records(1)[0].items() if k != "test_patch"}
    with pytest.raises(ConfigError, match="missing test_patch"):
        read_instances(_write(tmp_path / "i.jsonl", [incomplete], True))
    wrong = {**_records(1)[0], "FAIL_TO_PASS": "[1, 2]"}
    with pytest.raises(ConfigError, match="FAIL_TO_PASS"):
        read_instances(_write(tmp_path / "w.jsonl", [wrong], True))
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="no SWE-bench records"):
        read_instances(empty)


def test_hub_offline_is_a_clear_error() -> None:
    # HF_HUB_OFFLINE=1 (tests/conftest.py): nothing cached, so the hub cannot answer
    with pytest.raises(ConfigError, match="ROUTERX_SWEBENCH_PATH"):
        from_hub("princeton-nlp/SWE-bench_Lite")


def _instances(n: int) -> list[Instance]:
    from benchmarks.swebench.instances import from_record

    return [from_record(r, "test") for r in _records(n)]


def test_select_by_ids_repos_first_n_keeps_dataset_order() -> None:
    instances = _instances(9)
    ids = [instances[5].instance_id, instances[1].instance_id]
    assert [i.instance_id for i in select(instances, ids=ids)] == [
        instances[1].instance_id, instances[5].instance_id]
    assert {i.repo for i in select(instances, repos=["beta"])} == {"org/beta"}
    assert len(select(instances, repos=["org/alpha", "gamma"])) == 6
    assert select(instances, limit=2) == instances[:2]
    assert select(instances, repos=["alpha"], limit=2) == [instances[0], instances[3]]


def test_unknown_ids_and_repos_are_errors_only_when_strict() -> None:
    instances = _instances(3)
    with pytest.raises(ConfigError, match="nope-1"):
        select(instances, ids=["nope-1"])
    assert select(instances, ids=["nope-1"], strict=False) == []
    with pytest.raises(ConfigError, match="known: org/alpha, org/beta, other/gamma"):
        select(instances, repos=["delta"])
    with pytest.raises(ConfigError, match=">= 0"):
        select(instances, limit=-1)


def test_seeded_sample_is_reproducible_and_ordered() -> None:
    instances = _instances(30)
    a = select(instances, sample=7, seed=1)
    assert a == select(instances, sample=7, seed=1)
    assert len(a) == 7 and len(set(a)) == 7
    positions = [instances.index(i) for i in a]
    assert positions == sorted(positions)
    assert a != select(instances, sample=7, seed=2)
    assert select(instances, sample=100, seed=1) == instances  # more than there are: all


@pytest.mark.shared_data
def test_real_lite_300_and_its_subsets() -> None:
    path = shared_path("swebench", "swe-bench-lite_test_300.json.gz")
    lite = read_instances(path)
    assert len(lite) == 300
    assert len({i.instance_id for i in lite}) == 300
    flask = select(lite, repos=["pallets/flask"])
    assert [i.instance_id for i in flask] == [
        "pallets__flask-4045", "pallets__flask-5063", "pallets__flask-4992"]
    assert all(i.fail_to_pass for i in lite)  # every instance has tests that judge it
    assert len(select(lite, repos=["django"])) == 114
    picked = select(lite, sample=10, seed=42)
    assert len(picked) == 10 and picked == select(lite, sample=10, seed=42)
    assert select(lite, ids=["django__django-15202"])[0].repo == "django/django"
    assert select(lite, limit=5) == lite[:5]


@pytest.mark.shared_data
def test_every_lite_instance_has_a_swebench_recipe_and_test_directives() -> None:
    """The local executor depends on the swebench package's recipes; all 300 are known."""
    from swebench.harness.test_spec.python import get_test_directives

    from benchmarks.swebench.environment import swebench_spec

    lite = read_instances(shared_path("swebench", "swe-bench-lite_test_300.json.gz"))
    for inst in lite:
        spec = swebench_spec(inst.repo, inst.version)
        assert spec.test_cmd
        assert get_test_directives(inst.to_record()), inst.instance_id
    flask = next(i for i in lite if i.instance_id == "pallets__flask-4992")
    spec = swebench_spec(flask.repo, flask.version)
    assert spec.test_cmd.startswith("pytest") and spec.python == "3.11"
    assert spec.requirements_paths == ("requirements/dev.txt",)
