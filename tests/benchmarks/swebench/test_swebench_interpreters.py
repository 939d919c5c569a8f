"""Interpreter discovery: every candidate is run before it is trusted."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.swebench import interpreters
from benchmarks.swebench.interpreters import InterpreterMissing, find_python
from benchmarks.verdicts import is_infrastructure


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    interpreters.forget()
    yield
    interpreters.forget()


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH directory and an empty pyenv root."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    return tmp_path


def test_an_inactive_pyenv_shim_is_skipped_for_the_installed_version(machine: Path) -> None:
    """The case that failed before: python3.9 on PATH is a shim of an inactive version."""
    _script(machine / "bin" / "python3.9",
            'echo "pyenv: python3.9: command not found" >&2; exit 127')
    old = _script(machine / "pyenv/versions/3.9.2/bin/python3.9", "echo 3.9")
    new = _script(machine / "pyenv/versions/3.9.18/bin/python3.9", "echo 3.9")
    _script(machine / "pyenv/versions/3.9-dev/bin/python3.9", "echo 3.9")
    assert find_python("3.9") == new  # the newest patch release, numerically
    assert old != new


def test_a_working_command_on_path_comes_first(machine: Path) -> None:
    on_path = _script(machine / "bin" / "python3.8", "echo 3.8")
    _script(machine / "pyenv/versions/3.8.18/bin/python3.8", "echo 3.8")
    assert find_python("3.8") == on_path


def test_a_candidate_reporting_another_version_is_not_trusted(machine: Path) -> None:
    _script(machine / "bin" / "python3.7", "echo 3.11")
    with pytest.raises(InterpreterMissing):
        find_python("3.7")


def test_uv_managed_interpreters_are_found(machine: Path) -> None:
    managed = _script(machine / "uv-pythons" / "cpython-3.10.13" / "bin" / "python3.10",
                      "echo 3.10")
    _script(machine / "bin" / "uv", f'[ "$1 $2 $3" = "python find 3.10" ] && echo {managed}')
    assert find_python("3.10") == managed


def test_nothing_found_is_an_interpreter_outcome_naming_the_fix(machine: Path) -> None:
    with pytest.raises(InterpreterMissing) as caught:
        find_python("3.2")
    message = str(caught.value)
    assert "\n" not in message
    assert "pyenv install 3.2" in message and "uv python install 3.2" in message
    assert caught.value.status == "interpreter" and is_infrastructure("interpreter")


def test_results_are_cached_per_version(machine: Path) -> None:
    python = _script(machine / "pyenv/versions/3.6.15/bin/python3.6", "echo 3.6")
    assert find_python("3.6") == python
    python.unlink()
    assert find_python("3.6") == python  # not probed again
    interpreters.forget()
    with pytest.raises(InterpreterMissing):
        find_python("3.6")


def test_paths_the_running_interpreter_and_bad_versions(machine: Path) -> None:
    assert find_python("") == Path(sys.executable)
    assert find_python(sys.executable) == Path(sys.executable)
    with pytest.raises(InterpreterMissing, match="not found or not executable"):
        find_python(str(machine / "nope" / "python"))
    with pytest.raises(Exception, match="look like 3.9"):
        find_python("three")


def test_this_machine_s_pyenv_versions_are_found() -> None:
    """Real interpreters, when pyenv is installed here (skips elsewhere)."""
    root = Path.home() / ".pyenv" / "versions"
    versions = sorted({p.name.rsplit(".", 1)[0] for p in root.glob("3.*.*")})
    if not versions:
        pytest.skip("no pyenv interpreters on this machine")
    for version in versions:
        assert interpreters.reports_version(find_python(version), version)
