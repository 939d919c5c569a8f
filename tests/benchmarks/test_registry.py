"""The benchmark registry: names, unknown names, the protocol every suite offers."""

from __future__ import annotations

import pytest

from benchmarks import registry
from benchmarks.registry import Benchmark, Task, benchmark_names, get_benchmark, register
from router.errors import UnknownNameError


def test_builtin_suites_are_registered() -> None:
    names = benchmark_names()
    assert {"humaneval", "mbpp", "mbpp-sanitized"} <= set(names)
    assert names == sorted(names)


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_benchmark("humaneval-plus-plus")
    message = str(info.value)
    assert "humaneval-plus-plus" in message
    for name in ("humaneval", "mbpp"):
        assert name in message


@pytest.mark.parametrize("name", ["humaneval", "mbpp", "mbpp-sanitized"])
def test_builtin_suites_follow_the_protocol(name: str) -> None:
    bench = get_benchmark(name)
    assert isinstance(bench, Benchmark)
    assert bench.name == name
    assert bench.protocol_version
    assert (bench.id_field, bench.completion_field) == ("task_id", "completion")
    assert get_benchmark(name) is bench  # built once


def test_protocol_versions_differ_between_suites() -> None:
    assert get_benchmark("humaneval").protocol_version != get_benchmark("mbpp").protocol_version


def test_register_a_new_suite_and_reject_a_second_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_instances", {})

    @register("toy", size=2)
    class Toy:
        name = "toy"

        def __init__(self, size: int) -> None:
            self.tasks = [Task(f"toy/{i}", "", "f", "", "") for i in range(size)]

    assert [t.task_id for t in get_benchmark("toy").tasks] == ["toy/0", "toy/1"]
    assert "toy" in benchmark_names()
    with pytest.raises(ValueError, match="already registered"):
        register("toy")(type("Other", (), {}))
