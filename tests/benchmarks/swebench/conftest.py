"""Fixtures: the calc repository as a mirror, its recipe, a shared environment cache."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.swebench.environment import EnvironmentCache, RepoSpec
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.local import LocalExecutor
from benchmarks.swebench.repos import RepoSource
from tests.benchmarks.swebench import calc_repo
from tests.conftest import shared_path


@pytest.fixture(scope="session")
def calc_mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A mirror directory holding routerx-tests__calc (normal repo), and its base commit."""
    mirror = tmp_path_factory.mktemp("mirror")
    base = calc_repo.build_repo(mirror / "routerx-tests__calc")
    return mirror, base


@pytest.fixture
def calc_instance(calc_mirror: tuple[Path, str]) -> Instance:
    return calc_repo.instance(calc_mirror[1])


@pytest.fixture(scope="session")
def calc_spec() -> RepoSpec:
    """The calc recipe: the running interpreter, with this venv's packages (pytest)
    visible through a .pth file, so no package is downloaded; swebench's pytest parser."""
    return RepoSpec(
        test_cmd="python -m pytest -rA -p no:cacheprovider",
        inherit=(sysconfig.get_paths()["purelib"],),
        parser="pytest-dev/pytest",
    )


@pytest.fixture(scope="session")
def env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment cache for the session: a venv is built once, as in real use."""
    return tmp_path_factory.mktemp("envs")


@pytest.fixture
def calc_executor(calc_mirror: tuple[Path, str], calc_spec: RepoSpec, env_root: Path,
                  tmp_path: Path) -> LocalExecutor:
    repos = RepoSource(mirror=calc_mirror[0])
    return LocalExecutor(repos, EnvironmentCache(env_root, repos),
                         specs={calc_repo.REPO: calc_spec}, workspace=tmp_path / "work",
                         test_timeout_s=60)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """The real sandbox (model patches and tests run only inside it)."""
    module = pytest.importorskip("benchmarks.sandbox")
    with module.Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def lite_instances() -> list[Instance]:
    """The 300 real SWE-bench Lite instances from ../shared/data (skips when absent)."""
    from benchmarks.swebench.instances import read_instances

    return read_instances(shared_path("swebench", "swe-bench-lite_test_300.json.gz"))
