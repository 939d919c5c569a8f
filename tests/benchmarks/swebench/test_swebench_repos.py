"""Mirrors (bare or normal), clones from a local URL, exports without .git."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from benchmarks.swebench.repos import RepoSource, mirror_name
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo
from tests.conftest import shared_path


def test_mirror_name_is_the_harness_spelling() -> None:
    assert mirror_name("pallets/flask") == "pallets__flask"


def test_normal_and_bare_mirrors_export_the_same_tree(
        calc_mirror: tuple[Path, str], tmp_path: Path) -> None:
    mirror, base = calc_mirror
    bare_mirror = tmp_path / "bare"
    bare_mirror.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(mirror / "routerx-tests__calc"),
                    str(bare_mirror / "routerx-tests__calc.git")], check=True)
    for source, dest in ((RepoSource(mirror=mirror), tmp_path / "a"),
                         (RepoSource(mirror=bare_mirror), tmp_path / "b")):
        source.export(calc_repo.REPO, base, dest)
        assert (dest / "calc" / "ops.py").read_text() == calc_repo.OPS
        assert not (dest / ".git").exists()  # nothing links back to the object store
    assert not (bare_mirror / "routerx-tests__calc.git" / "index").exists()  # mirror only read


def test_read_file_and_untracked_build_products(calc_mirror: tuple[Path, str],
                                                tmp_path: Path) -> None:
    mirror, base = calc_mirror
    repos = RepoSource(mirror=mirror)
    assert repos.read_file(calc_repo.REPO, base, "calc/ops.py") == calc_repo.OPS
    assert repos.read_file(calc_repo.REPO, base, "calc/absent.py") is None
    assert "README.rst" in repos.list_root(calc_repo.REPO, base)
    index = repos.export(calc_repo.REPO, base, tmp_path / "tree")
    (tmp_path / "tree" / "calc" / "_speedups.so").write_bytes(b"\x7fELF")
    assert repos.untracked(calc_repo.REPO, tmp_path / "tree", index) == ["calc/_speedups.so"]


def test_missing_repository_and_commit_say_how_to_fix(calc_mirror: tuple[Path, str]) -> None:
    mirror, _ = calc_mirror
    with pytest.raises(ConfigError, match=r"pallets__flask/ or pallets__flask\.git/.*"
                                          r"ROUTERX_SWEBENCH_MIRROR"):
        RepoSource(mirror=mirror).git_dir("pallets/flask")
    with pytest.raises(ConfigError, match="no mirror directory is set"):
        RepoSource().git_dir("pallets/flask")
    with pytest.raises(ConfigError, match="is not in"):
        RepoSource(mirror=mirror).read_file(calc_repo.REPO, "f" * 40, "calc/ops.py")


def test_clone_from_a_url_template_into_the_cache(calc_mirror: tuple[Path, str],
                                                  tmp_path: Path) -> None:
    """Cloning, exercised with a file:// URL (tests never reach the network)."""
    mirror, base = calc_mirror
    repos = RepoSource(cache_dir=tmp_path / "cache", clone_url=f"file://{mirror}/{{owner}}__{{name}}")
    git_dir = repos.git_dir(calc_repo.REPO)
    assert git_dir == tmp_path / "cache" / "repos" / "routerx-tests__calc.git"
    assert repos.has_commit(calc_repo.REPO, base)
    assert RepoSource(cache_dir=tmp_path / "cache").git_dir(calc_repo.REPO) == git_dir  # reused
    bad = RepoSource(cache_dir=tmp_path / "c2", clone_url=f"file://{tmp_path}/nothing/{{repo}}")
    with pytest.raises(ConfigError, match="cannot clone"):
        bad.git_dir(calc_repo.REPO)


def test_a_shallow_mirror_exports_like_a_full_one(calc_mirror: tuple[Path, str],
                                                  tmp_path: Path) -> None:
    """The shared mirrors are shallow (only the commits the instances need)."""
    mirror, base = calc_mirror
    shallow = tmp_path / "shallow"
    shallow.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", "--depth", "1",
                    f"file://{mirror / 'routerx-tests__calc'}",
                    str(shallow / "routerx-tests__calc.git")], check=True)
    assert (shallow / "routerx-tests__calc.git" / "shallow").is_file()
    repos = RepoSource(mirror=shallow)
    repos.export(calc_repo.REPO, base, tmp_path / "tree")
    assert (tmp_path / "tree" / "calc" / "ops.py").read_text() == calc_repo.OPS
    assert repos.has_path(calc_repo.REPO, base, "calc/ops.py")
    assert not repos.has_path(calc_repo.REPO, base, "src/_pytest")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", repos.commit_date(calc_repo.REPO, base))


@pytest.fixture(scope="module")
def shared_mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """../shared/data/swebench/mirrors/*.git.tar unpacked into a temporary directory."""
    tars = sorted(shared_path("swebench", "mirrors").glob("*.git.tar"))
    if not tars:
        pytest.skip("no SWE-bench mirrors in the shared data")
    target = tmp_path_factory.mktemp("mirrors")
    for tar in tars:
        subprocess.run(["tar", "xf", str(tar), "-C", str(target)], check=True)
    return target


def test_the_shared_mirrors_hold_every_commit_their_lite_instances_need(
        shared_mirrors: Path, lite_instances: list, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.swebench.config import load_settings
    from benchmarks.swebench.evaluation import repo_source

    monkeypatch.setenv("ROUTERX_SWEBENCH_MIRROR", str(shared_mirrors))
    repos = repo_source(load_settings())
    mirrored = {p.name.removesuffix(".git").replace("__", "/", 1)
                for p in shared_mirrors.iterdir()}
    needed = [i for i in lite_instances if i.repo in mirrored]
    assert {i.repo for i in needed} == mirrored
    for instance in needed:
        assert repos.has_commit(instance.repo, instance.base_commit), instance.instance_id
        assert repos.has_commit(instance.repo, instance.env_commit), instance.instance_id


def test_a_shared_mirror_exports_a_real_checkout(shared_mirrors: Path, lite_instances: list,
                                                 tmp_path: Path) -> None:
    instance = next(i for i in lite_instances if i.repo == "mwaskom/seaborn")
    repos = RepoSource(mirror=shared_mirrors)
    repos.export(instance.repo, instance.base_commit, tmp_path / "seaborn")
    assert (tmp_path / "seaborn" / "seaborn" / "__init__.py").is_file()
    assert not (tmp_path / "seaborn" / ".git").exists()
    from swebench.harness.utils import get_modified_files

    for path in get_modified_files(instance.patch):
        assert repos.read_file(instance.repo, instance.base_commit, path) is not None
