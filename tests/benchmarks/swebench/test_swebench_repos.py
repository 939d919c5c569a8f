"""Mirrors (bare or normal), clones from a local URL, exports without .git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.swebench.repos import RepoSource, mirror_name
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo


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
