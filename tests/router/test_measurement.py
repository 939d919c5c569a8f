"""What identifies a measurement, and which measurements the placement protocol accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.config_file import load_file_config
from router.errors import ConfigError
from router.measurement import (
    PlacementProtocol,
    load_placement_protocol,
    task_scope,
    task_set_hash,
)


def test_task_set_hash_ignores_order_and_duplicates() -> None:
    assert task_set_hash(["b", "a"]) == task_set_hash(["a", "b", "a"])
    assert task_set_hash(["a"]) != task_set_hash(["a", "b"])


@pytest.mark.parametrize(("limit", "ids", "count", "suite", "scope"), [
    (None, None, 164, 164, "all"),
    (3, None, 3, 164, "first 3"),
    (500, None, 164, 164, "all"),          # a limit beyond the suite is the whole suite
    (None, ["HumanEval/7", "HumanEval/9"], 2, 164, "2 chosen"),
])
def test_task_scope(limit, ids, count, suite, scope) -> None:  # noqa: ANN001
    assert task_scope(limit, ids, count, suite) == scope


def _mismatch(protocol: PlacementProtocol, **kw: object) -> str | None:
    shape = {"scope": "all", "task_count": 164, "samples": 1, "temperature": 0.0,
             "protocol_version": "v2", "current_version": "v2"} | kw
    return protocol.mismatch(**shape)  # type: ignore[arg-type]


def test_the_default_protocol_places_whole_suite_runs_only() -> None:
    default = PlacementProtocol()
    assert _mismatch(default) is None
    assert "smoke or partial run (first 3" in _mismatch(default, scope="first 3", task_count=3)
    assert "5 sample(s)" in _mismatch(default, samples=5)
    assert "temperature 0.8" in _mismatch(default, temperature=0.8)
    assert "protocol v1; the current one is v2" in _mismatch(default, protocol_version="v1")
    assert "unknown" in _mismatch(default, current_version=None)


def test_a_configured_limit_is_a_task_set_too() -> None:
    first_20 = PlacementProtocol(limit=20)
    assert _mismatch(first_20, scope="first 20", task_count=20) is None
    assert _mismatch(first_20, scope="all", task_count=12) is None  # a suite of 12 tasks
    assert _mismatch(first_20) is not None                         # 164 is not 20
    assert _mismatch(first_20, scope="first 3", task_count=3) is not None


def test_routerx_toml_sets_the_placement_protocol(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_placement_protocol() == PlacementProtocol()
    config = tmp_path / "routerx.toml"
    config.write_text("[placement]\nlimit = 40\nsamples = 5\ntemperature = 0.2\n")
    monkeypatch.setenv("ROUTERX_CONFIG", str(config))
    assert load_placement_protocol() == PlacementProtocol(40, 5, 0.2)
    config.write_text("[placement]\nlimt = 40\n")
    with pytest.raises(ConfigError, match=r"\[placement\] limt: unknown key; allowed: "
                                          r"placement.\{limit, samples, temperature\}"):
        load_file_config(config)
    config.write_text("[placement]\nsamples = 0\n")
    with pytest.raises(ConfigError, match=r"\[placement\] samples"):
        load_file_config(config)
