"""Reference solutions must score 100%: a suite, program assembly or timeout bug shows
up here first. Runs in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.registry import Sample, get_benchmark
from tests.conftest import shared_path


def run_references(name: str, data: Path | None = None, ids: list[str] | None = None) -> dict:
    bench = get_benchmark(name)
    tasks = bench.load(data=data, ids=ids)
    samples = [Sample(t.task_id, bench.reference(t)) for t in tasks]
    results = bench.evaluate({t.task_id: t for t in tasks}, samples)
    return {s.task_id: r for s, r in zip(samples, results, strict=True)}


def assert_all_pass(results: dict) -> None:
    failed = {tid: r.result for tid, r in results.items() if not r.passed}
    assert not failed


def test_humaneval_all_164_references_pass() -> None:
    results = run_references("humaneval")
    assert len(results) == 164
    assert_all_pass(results)


def test_mbpp_fixture_references_pass(mbpp_fixture: Path, mbpp_sanitized_fixture: Path) -> None:
    assert_all_pass(run_references("mbpp", mbpp_fixture, ids=["3", "11", "12", "13", "14", "520"]))
    assert_all_pass(run_references("mbpp-sanitized", mbpp_sanitized_fixture))


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "file", "count"), [
    ("mbpp", "mbpp.jsonl", 974),
    ("mbpp-sanitized", "sanitized-mbpp.json", 427),
])
@pytest.mark.slow  # every MBPP reference in the sandbox: 6-9 s
def test_mbpp_real_references_pass(name: str, file: str, count: int) -> None:
    results = run_references(name, shared_path("datasets", file),
                             ids=[str(i) for i in range(1, 975)])
    assert len(results) == count
    assert_all_pass(results)
