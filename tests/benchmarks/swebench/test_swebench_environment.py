"""Environments: built once outside the sandbox, cached, rebuilt when half-made."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.swebench.environment import (
    READY,
    EnvironmentCache,
    RepoSpec,
    apply_repo_edits,
    import_roots,
    pinned,
    read_requirements,
    resolve_spec,
    scm_version,
    swebench_spec,
)
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.repos import RepoSource
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo


def test_environment_is_built_once_and_reused(calc_mirror: tuple[Path, str],
                                              calc_instance: Instance, calc_spec: RepoSpec,
                                              tmp_path: Path) -> None:
    repos = RepoSource(mirror=calc_mirror[0])
    cache = EnvironmentCache(tmp_path / "envs", repos)
    env = cache.prepare(calc_instance, calc_spec)
    assert (env.venv / "bin" / "python").exists()
    assert (env.root / READY).is_file()
    built = (env.root / "build.log").read_text()
    assert built.count(" -m venv ") == 1
    # the venv sees this interpreter's packages through the .pth (pytest, offline)
    done = subprocess.run([str(env.venv / "bin" / "python"), "-c", "import pytest"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(calc_spec.inherit[0]) in env.readonly_paths
    assert env.root in env.readonly_paths
    again = cache.prepare(calc_instance, calc_spec)
    assert again == env
    assert (env.root / "build.log").read_text() == built  # nothing rebuilt


def test_the_outcome_recorder_is_installed_and_kept_current(
        calc_mirror: tuple[Path, str], calc_instance: Instance, calc_spec: RepoSpec,
        tmp_path: Path) -> None:
    """The recorder lives in the venv (read-only in the sandbox, importable however the
    tests start) and is replaced when routerx's copy differs."""
    from benchmarks.swebench import report_plugin

    cache = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0]))
    env = cache.prepare(calc_instance, calc_spec)
    assert env.site_packages is not None
    installed = env.site_packages / "routerx_swebench_report.py"
    source = Path(report_plugin.__file__).read_text()
    assert installed.read_text() == source
    installed.write_text("# an older recorder\n")
    cache.prepare(calc_instance, calc_spec)
    assert installed.read_text() == source
    done = subprocess.run([str(env.venv / "bin" / "python"), "-c",
                           "import routerx_swebench_report"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_two_workers_needing_one_environment_build_it_once(
        calc_mirror: tuple[Path, str], calc_instance: Instance, calc_spec: RepoSpec,
        tmp_path: Path) -> None:
    """Both start at the same moment; the lock makes the second wait and reuse it."""
    cache = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0]))
    start = threading.Barrier(2)

    def prepare() -> object:
        start.wait()
        return cache.prepare(calc_instance, calc_spec)

    with ThreadPoolExecutor(2) as pool:
        first, second = [f.result() for f in [pool.submit(prepare), pool.submit(prepare)]]
    assert first == second
    assert (first.root / "build.log").read_text().count(" -m venv ") == 1


def test_tox_current_env_recipes_get_an_interpreter_prefix_not_a_venv(
        calc_mirror: tuple[Path, str], calc_instance: Instance, tmp_path: Path) -> None:
    """tox --current-env runs the interpreter through a symlink of its own; a venv's
    python reached that way loses its packages, a copied prefix keeps them."""
    spec = RepoSpec(test_cmd="tox --current-env -epy39 -v --", pip=False)
    assert spec.standalone and not RepoSpec(test_cmd="pytest -rA").standalone
    env = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0])).prepare(
        calc_instance, spec)
    assert not (env.venv / "pyvenv.cfg").exists()
    assert env.site_packages is not None
    own = {p.name for p in env.site_packages.iterdir()}
    assert own <= {"pip", "setuptools", "_distutils_hack", "pkg_resources",
                   "distutils-precedence.pth", "routerx_swebench_report.py", "__pycache__"} | {
        n for n in own if n.endswith(".dist-info")}  # ensurepip's, none of the original's
    link = tmp_path / "tox-bin" / "python"
    link.parent.mkdir()
    link.symlink_to(env.venv / "bin" / "python")
    done = subprocess.run([str(link), "-c", "import sys, routerx_swebench_report"],
                          capture_output=True, text=True)
    # the recorder (in the prefix's site-packages) is found; it then needs pytest, which
    # this recipe did not install: the import gets as far as that
    assert "No module named 'pytest'" in done.stderr, done.stderr


def test_half_built_environment_is_rebuilt(calc_mirror: tuple[Path, str],
                                           calc_instance: Instance, calc_spec: RepoSpec,
                                           tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0]))
    stale = tmp_path / "envs" / cache.key(calc_instance, calc_spec)
    stale.mkdir(parents=True)
    (stale / "leftover").write_text("an interrupted build")
    env = cache.prepare(calc_instance, calc_spec)
    assert not (env.root / "leftover").exists()
    assert (env.root / READY).is_file()


def test_a_different_recipe_is_a_different_environment(calc_instance: Instance,
                                                       calc_spec: RepoSpec) -> None:
    cache = EnvironmentCache(Path("/nonexistent"), RepoSource())
    other = RepoSpec(**{**calc_spec.__dict__, "pip_packages": ("six",)})
    assert cache.key(calc_instance, calc_spec) != cache.key(calc_instance, other)
    assert cache.key(calc_instance, calc_spec).startswith("routerx-tests__calc-")


def test_failed_build_step_is_an_error_with_the_log(calc_mirror: tuple[Path, str],
                                                    calc_instance: Instance, calc_spec: RepoSpec,
                                                    tmp_path: Path) -> None:
    broken = RepoSpec(**{**calc_spec.__dict__, "install": "echo building; exit 7", "pip": False})
    cache = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0]))
    with pytest.raises(ConfigError, match=r"exit 7[\s\S]*building"):
        cache.prepare(calc_instance, broken)
    assert not (tmp_path / "envs" / cache.key(calc_instance, broken) / READY).exists()


def test_install_runs_in_the_source_copy_and_build_products_are_recorded(
        calc_mirror: tuple[Path, str], calc_instance: Instance, calc_spec: RepoSpec,
        tmp_path: Path) -> None:
    spec = RepoSpec(**{**calc_spec.__dict__,
                       "install": "python -c \"open('calc/_version.py','w').write('v=1')\"",
                       "pip": False})
    env = EnvironmentCache(tmp_path / "envs", RepoSource(mirror=calc_mirror[0])).prepare(
        calc_instance, spec)
    assert env.src is not None and (env.src / "calc" / "ops.py").read_text() == calc_repo.OPS
    assert env.build_products == ("calc/_version.py",)


def test_the_install_target_of_a_recipe() -> None:
    """What is installed plainly, dated, before an editable install by an older pip."""
    from benchmarks.swebench.environment import _install_target

    assert _install_target("python -m pip install -e .[test]") == ".[test]"
    assert _install_target("python -m pip install -e .") == "."
    assert _install_target("python -m pip install .") == "."
    assert _install_target("python setup.py develop") == ""


def test_declared_requirements_are_read_with_the_project_s_own_setuptools(
        tmp_path: Path) -> None:
    """What is installed, dated, before an older pip's editable install: the base
    requirements, the chosen extras, markers kept."""
    import sys

    from benchmarks.swebench.environment import _declared_requirements

    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\n"
        "setup(name='demo', version='1.0', py_modules=[],\n"
        "      install_requires=['six>=1', 'colorama; sys_platform == \"win32\"'],\n"
        "      extras_require={'test': ['pytest'], 'docs': ['sphinx']})\n")
    found = _declared_requirements(tmp_path, ".[test]", Path(sys.executable), dict(os.environ))
    assert found[0] == "six>=1" and "pytest" in found and "sphinx" not in found
    assert any(r.startswith("colorama") and "win32" in r for r in found)
    assert not any(tmp_path.glob("*.egg-info"))  # nothing left in the tree
    assert _declared_requirements(tmp_path / "nowhere", ".", Path(sys.executable), {}) == []


def test_pins_and_scm_versions() -> None:
    assert pinned(["pytest", "astroid==3.0.0a6", "Jinja2==3.0.3", "six>=1", "x===1",
                   "setuptools"]) == ("astroid==3.0.0a6", "Jinja2==3.0.3")
    assert scm_version("7.0") == "7.0" and scm_version("") == "0.0"


def test_the_date_cutoff_is_the_environment_commit_and_part_of_the_key(
        calc_mirror: tuple[Path, str], calc_instance: Instance, calc_spec: RepoSpec,
        tmp_path: Path) -> None:
    repos = RepoSource(mirror=calc_mirror[0])
    dated = EnvironmentCache(tmp_path / "envs", repos)
    cutoff = dated.cutoff(calc_instance)
    assert cutoff is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cutoff)
    undated = EnvironmentCache(tmp_path / "envs", repos, date_cutoff=False)
    assert undated.cutoff(calc_instance) is None
    assert dated.key(calc_instance, calc_spec) != undated.key(calc_instance, calc_spec)


def test_requirements_are_read_locally_with_the_harness_rules(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "tests.txt").write_text("pytest==7.1\n# comment\n")
    (tmp_path / "requirements" / "dev.txt").write_text(
        "-r tests.txt\n-e .\nclick>=8\ntypes-pkg_resources==0.1\n")
    text = read_requirements(tmp_path, ("missing.txt", "requirements/dev.txt"), "o/r")
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines == ["pytest==7.1", "click>=8", "types-setuptools"]  # swebench's clean-up
    with pytest.raises(ConfigError, match="none of the requirement files"):
        read_requirements(tmp_path, ("nope.txt",), "o/r")


def test_repo_edits_from_pre_install_apply_only_to_relative_files(tmp_path: Path) -> None:
    spec = swebench_spec("pytest-dev/pytest", "6.3")
    assert spec.repo_edits == ("sed -i 's/>=>=/>=/' setup.cfg",)
    (tmp_path / "setup.cfg").write_text("install_requires = pluggy>=>=0.12\n")
    apply_repo_edits(spec, tmp_path)
    assert (tmp_path / "setup.cfg").read_text() == "install_requires = pluggy>=0.12\n"
    sphinx = swebench_spec("sphinx-doc/sphinx", "3.5")
    assert "sed -i 's/pytest/pytest -rA/' tox.ini" in sphinx.repo_edits
    django = swebench_spec("django/django", "1.9")  # apt-get and locale-gen: not run
    assert django.repo_edits == ()
    assert any(c.startswith("apt-get") for c in django.skipped_pre_install)


def test_recipes_come_from_swebench_unless_overridden(calc_instance: Instance,
                                                      calc_spec: RepoSpec) -> None:
    assert resolve_spec(calc_instance, {calc_repo.REPO: calc_spec}) is calc_spec
    with pytest.raises(ConfigError, match="no recipe for routerx-tests/calc"):
        resolve_spec(calc_instance)
    flask = swebench_spec("pallets/flask", "2.0")
    assert flask.python == "3.9" and "Werkzeug==2.3.7" in flask.pip_packages
    django = swebench_spec("django/django", "3.0")
    assert django.test_cmd.startswith("./tests/runtests.py")
    # exports are kept; the locale-gen line needs root and is left out
    assert django.exports == ("export LANG=en_US.UTF-8", "export LANGUAGE=en_US:en",
                              "export LC_ALL=en_US.UTF-8")


def test_import_roots_put_src_layouts_first(tmp_path: Path) -> None:
    spec = RepoSpec(test_cmd="pytest")
    assert import_roots(spec, tmp_path) == [tmp_path]
    (tmp_path / "src").mkdir()
    assert import_roots(spec, tmp_path) == [tmp_path / "src", tmp_path]
    fixed = RepoSpec(test_cmd="pytest", python_path=("lib",))
    assert import_roots(fixed, tmp_path) == [tmp_path / "lib"]
    assert os.pathsep == ":"


def test_conda_environment_recipes_are_refused_clearly(calc_instance: Instance,
                                                       tmp_path: Path) -> None:
    spec = swebench_spec("matplotlib/matplotlib", "3.5")
    assert spec.packages == "environment.yml"
    cache = EnvironmentCache(tmp_path / "envs", RepoSource())
    with pytest.raises(ConfigError, match="conda.*Docker engine"):
        cache.prepare(calc_instance, spec)
