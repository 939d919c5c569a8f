"""The benchmark registry: names, unknown names, the protocol every suite offers."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import registry
from benchmarks.registry import (
    Benchmark,
    Task,
    benchmark_names,
    default_benchmarks,
    get_benchmark,
    register,
)
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


def test_a_new_benchmark_is_registered_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its `@register` makes it selectable, placing, and (asked to) part of the default
    suite: no list elsewhere to extend."""
    from benchmarks.assessment.params import AssessParams
    from benchmarks.layering import DEFAULT_CATEGORY_WEIGHTS

    benchmark_names()  # the built-in suites first, as any lookup loads them
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_weights", dict(registry._weights))
    monkeypatch.setattr(registry, "_defaults", list(registry._defaults))

    @register("toy-sql", weights={"sql": 1.0, "code-generation": 0.25}, default=True)
    class ToySQL:
        name = "toy-sql"

    assert "toy-sql" in benchmark_names()
    assert AssessParams(benchmarks=["toy-sql"]).benchmarks == ["toy-sql"]
    assert AssessParams().benchmarks == ["humaneval", "mbpp", "toy-sql"]
    assert DEFAULT_CATEGORY_WEIGHTS["sql"] == {"toy-sql": 1.0}
    assert DEFAULT_CATEGORY_WEIGHTS["code-generation"] == {
        "humaneval": 0.5, "mbpp": 0.5, "toy-sql": 0.25}
    with pytest.raises(ValueError, match=r"weights must be in \(0, 1\]"):
        register("toy-bad", weights={"sql": 2.0})


def test_the_built_in_suites_declare_their_categories_and_the_default_suite() -> None:
    from benchmarks.layering import DEFAULT_CATEGORY_WEIGHTS

    assert default_benchmarks() == ["humaneval", "mbpp"]
    assert dict(DEFAULT_CATEGORY_WEIGHTS) == {
        "code-generation": {"humaneval": 0.5, "mbpp": 0.5}, "bug-fix": {"swebench": 1.0},
        "multi-file": {"swebench-multifile": 1.0}}


def test_a_plugin_package_registers_suites_through_an_entry_point(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an installed package's `[project.entry-points."routerx.benchmarks"]` does."""
    from router.errors import ConfigError

    (tmp_path / "routerx_toy_plugin.py").write_text(
        "from benchmarks.registry import register\n\n"
        "@register('toy-plugin', weights={'sql': 1.0})\n"
        "class ToyPlugin:\n    name = 'toy-plugin'\n")
    dist = tmp_path / "routerx_toy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: routerx-toy-plugin\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[routerx.benchmarks]\ntoy = routerx_toy_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_weights", dict(registry._weights))
    monkeypatch.setattr(registry, "_builtins_loaded", False)
    assert "toy-plugin" in benchmark_names()
    assert registry.category_weights()["sql"] == {"toy-plugin": 1.0}

    (dist / "entry_points.txt").write_text("[routerx.benchmarks]\nbroken = no_such_module\n")
    monkeypatch.setattr(registry, "_builtins_loaded", False)
    with pytest.raises(ConfigError, match="benchmark plugin 'broken'.*uninstall"):
        benchmark_names()
