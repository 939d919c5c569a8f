"""Where the repositories come from: a local mirror directory, or a clone when allowed.

A mirror directory holds one git repository per SWE-bench repository, named
``owner__name`` (the harness's own spelling), bare (``owner__name.git``) or normal.
When the mirror lacks one and cloning is allowed, it is cloned (bare) into the cache
from ``clone_url`` (a template with ``{repo}``, ``{owner}``, ``{name}``). Cloning is
off by default: routerx's tests and offline machines must never reach for the network
by accident.

Why trees are exported without ``.git``: the checkout is handed to the sandbox, where
the model's patch and the repository's tests run; it must not carry a link back to the
mirror's object store (a hostile patch could otherwise rewrite it). Files are written
with ``git checkout <commit> -- .`` into a separate work tree and a throwaway index, so
the mirror is only read and may be read-only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from router.errors import ConfigError

GIT_TIMEOUT_S = 600.0
CLONE_TIMEOUT_S = 3600.0


def mirror_name(repo: str) -> str:
    """``pallets/flask`` -> ``pallets__flask`` (the SWE-bench harness's spelling)."""
    return repo.replace("/", "__")


def _git(args: list[str], git_dir: Path | None = None, timeout: float = GIT_TIMEOUT_S,
         env: dict[str, str] | None = None, text: bool = True) -> subprocess.CompletedProcess[Any]:
    cmd = ["git", "-c", "safe.directory=*"]
    if git_dir is not None:
        cmd.append(f"--git-dir={git_dir}")
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    return subprocess.run(cmd + args, capture_output=True, text=text, timeout=timeout,
                          env=full_env, check=False)


def git_dir_of(path: Path) -> Path | None:
    """The git directory of a normal or bare repository at ``path``, else None."""
    if (path / ".git").is_dir():
        return path / ".git"
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    return None


class RepoSource:
    """Resolves ``owner/name`` to a git directory and exports trees at commits."""

    def __init__(self, mirror: Path | None = None, cache_dir: Path | None = None,
                 clone_url: str | None = None) -> None:
        self.mirror = mirror
        self.cache_dir = cache_dir
        self.clone_url = clone_url

    def git_dir(self, repo: str) -> Path:
        name = mirror_name(repo)
        candidates: list[Path] = []
        if self.mirror is not None:
            candidates += [self.mirror / name, self.mirror / f"{name}.git"]
        if self.cache_dir is not None:
            candidates.append(self.cache_dir / "repos" / f"{name}.git")
        for candidate in candidates:
            found = git_dir_of(candidate)
            if found is not None:
                return found
        if self.clone_url and self.cache_dir is not None:
            return self._clone(repo)
        where = f"in {self.mirror}" if self.mirror else "(no mirror directory is set)"
        raise ConfigError(
            f"no git repository for {repo} {where}: expected {name}/ or {name}.git/ there. "
            "Give a mirror with --repo-mirror DIR or ROUTERX_SWEBENCH_MIRROR, or allow "
            "cloning with ROUTERX_SWEBENCH_CLONE=1 (needs network)"
        )

    def _clone(self, repo: str) -> Path:
        assert self.clone_url is not None and self.cache_dir is not None
        owner, _, name = repo.partition("/")
        url = self.clone_url.format(repo=repo, owner=owner, name=name)
        target = self.cache_dir / "repos" / f"{mirror_name(repo)}.git"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            done = _git(["clone", "--quiet", "--bare", url, str(tmp / "repo.git")],
                        timeout=CLONE_TIMEOUT_S)
            if done.returncode != 0:
                raise ConfigError(f"cannot clone {repo} from {url}: {done.stderr.strip()}")
            try:
                os.replace(tmp / "repo.git", target)
            except OSError:
                if git_dir_of(target) is None:  # not a concurrent clone that won the race
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    def has_commit(self, repo: str, commit: str) -> bool:
        return _git(["cat-file", "-e", f"{commit}^{{commit}}"], self.git_dir(repo)).returncode == 0

    def _require_commit(self, repo: str, commit: str) -> Path:
        git_dir = self.git_dir(repo)
        if _git(["cat-file", "-e", f"{commit}^{{commit}}"], git_dir).returncode != 0:
            raise ConfigError(f"commit {commit} of {repo} is not in {git_dir}; fetch it "
                              f"(git --git-dir={git_dir} fetch origin)")
        return git_dir

    def read_file(self, repo: str, commit: str, path: str) -> str | None:
        """A file's text at ``commit`` (None if absent there)."""
        git_dir = self._require_commit(repo, commit)
        done = _git(["show", f"{commit}:{path}"], git_dir, text=False)
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", errors="replace")

    def has_path(self, repo: str, commit: str, path: str) -> bool:
        """Whether a file or directory exists at ``commit``."""
        git_dir = self._require_commit(repo, commit)
        return _git(["cat-file", "-e", f"{commit}:{path}"], git_dir).returncode == 0

    def commit_date(self, repo: str, commit: str) -> str:
        """The committer date of ``commit``, ISO 8601 in UTC (``2020-03-01T10:00:00Z``)."""
        git_dir = self._require_commit(repo, commit)
        done = _git(["show", "-s", "--format=%ct", commit], git_dir)
        if done.returncode != 0 or not done.stdout.strip().isdigit():
            raise ConfigError(f"cannot read the date of {repo}@{commit}: {done.stderr.strip()}")
        stamp = int(done.stdout.strip())
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))

    def list_root(self, repo: str, commit: str) -> list[str]:
        """Names of the files at the repository's top level at ``commit``."""
        git_dir = self._require_commit(repo, commit)
        done = _git(["ls-tree", "--name-only", commit], git_dir)
        return done.stdout.splitlines() if done.returncode == 0 else []

    def export(self, repo: str, commit: str, dest: Path, index: Path | None = None) -> Path:
        """Write the tree at ``commit`` into ``dest`` (no ``.git``); returns the index
        file used, so that untracked files can later be listed against it."""
        git_dir = self._require_commit(repo, commit)
        dest.mkdir(parents=True, exist_ok=True)
        index = index or dest.parent / f".{dest.name}.index"
        done = _git([f"--work-tree={dest}", "checkout", "--force", commit, "--", "."], git_dir,
                    env={"GIT_INDEX_FILE": str(index)})
        if done.returncode != 0:
            raise ConfigError(f"cannot check out {repo}@{commit}: {done.stderr.strip()}")
        return index

    def untracked(self, repo: str, tree: Path, index: Path) -> list[str]:
        """Files in an exported ``tree`` that the commit did not hold (build products)."""
        done = _git([f"--work-tree={tree}", "ls-files", "--others"], self.git_dir(repo),
                    env={"GIT_INDEX_FILE": str(index)})
        if done.returncode != 0:
            raise ConfigError(f"cannot list build products in {tree}: {done.stderr.strip()}")
        return done.stdout.splitlines()
