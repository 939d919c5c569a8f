"""The repository's Python environment, prepared once OUTSIDE the sandbox and cached.

What the official harness bakes into a container image (a conda env per repository
version, the repository installed into it) becomes here a virtual environment per
(repository, ``environment_setup_commit``, recipe), built on the host and mounted
read-only into every sandboxed test run of that repository. The recipe is the
swebench package's own (``MAP_REPO_VERSION_TO_SPECS``: Python version, requirement
files, pip packages, install command, test command), so routerx does not keep a
second copy of it.

Differences from the harness, on purpose:
- No conda: the interpreter ``X.Y`` is found by ``interpreters.find_python`` (PATH, pyenv,
  uv; each candidate run first), and conda package lists are installed with pip. Recipes
  that need an ``environment.yml`` (matplotlib, xarray) are ``unsupported``.
- Libraries of the repository's time: the recipe's ``==`` pins are installed as given;
  everything it leaves floating (requirement files, unpinned packages, the repository's
  own dependencies, build requirements) is resolved with pip's ``--uploaded-prior-to``
  the date of ``environment_setup_commit`` (unpinned packages with the pins as
  constraints; the repository's install may override a pin, as in the harness). Sources
  without upload times (find-links folders, ``file://`` indexes from the pip
  configuration) would defeat the cutoff, so dated builds ignore pip's configuration
  files and find-links. A step that cannot be resolved under the cutoff is retried
  without it, and the manifest says so. The venv's pip is upgraded first (the cutoff
  needs pip >= 26); a Python too old for such a pip builds without the cutoff. A
  repository whose old setuptools cannot be installed in editable mode by that pip
  (no PEP 660 hook) is installed by the venv's own pip, as in the harness's era.
- No ``.git`` in the build tree: ``SETUPTOOLS_SCM_PRETEND_VERSION`` is the instance's
  version, so setuptools_scm projects (pytest, astropy...) install.
- ``pre_install`` lines that edit repository files (``sed -i`` on a relative path) are
  applied, to the environment's source tree and to every checkout (the harness commits
  them into the base); system set-up lines (apt-get, locale-gen, downloads) are not
  run and are listed in the manifest.
- The repository is installed from a copy at ``environment_setup_commit`` kept inside
  the environment; at test time the checkout under test comes first on PYTHONPATH, so
  the patched code is what the tests import. Build products of the install (compiled
  extensions, generated version files) are copied into each checkout.
- The build runs the upstream repository's own setup code at a published commit, as
  building the harness's image does; no model-written code runs here.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.swebench.instances import Instance
from benchmarks.swebench.interpreters import find_python
from benchmarks.swebench.repos import RepoSource, mirror_name
from router.errors import ConfigError

BUILD_TIMEOUT_S = 3600.0
#: part of every environment's key: a change in how environments are built rebuilds them
BUILD_METHOD = "2"
READY = ".routerx-ready.json"
_REPO_EDIT = re.compile(r"^sed\s+-i\s+.*\s(?!/)[\w.\-/]+$")
_SKIP_PRODUCTS = ("__pycache__/", ".pyc", ".pyo")


class EnvironmentBuildError(ConfigError):
    """A repository environment could not be built (an ``environment`` outcome: routerx's
    failure, never the model's); the message holds the log's tail."""

    status = "environment"


class UnsupportedEnvironment(EnvironmentBuildError):
    """The instance cannot be run by the local executor at all (no recipe, a conda
    ``environment.yml``): an ``unsupported`` outcome."""

    status = "unsupported"


@dataclass(frozen=True)
class RepoSpec:
    """How to build a repository's environment and run its tests.

    ``python`` is ``"X.Y"`` (found on PATH or under pyenv), an interpreter path, or ""
    for the interpreter running routerx. ``parser`` names the repository whose swebench
    log parser reads the test output (default: the instance's own repository).
    ``inherit`` lists site-packages directories the venv also sees (a .pth file), for
    environments that reuse packages already installed on the host.
    ``python_path`` lists the checkout's import roots (None: ``src`` if present, then
    the checkout itself). ``pip`` False builds the venv without pip (ensurepip is the
    slowest step) for recipes that install nothing with it; None decides from the recipe.
    """

    test_cmd: str
    python: str = ""
    packages: str = ""
    requirements_paths: tuple[str, ...] = ()
    pip_packages: tuple[str, ...] = ()
    pre_install: tuple[str, ...] = ()
    install: str = ""
    eval_commands: tuple[str, ...] = ()
    parser: str = ""
    inherit: tuple[str, ...] = ()
    python_path: tuple[str, ...] | None = None
    pip: bool | None = None

    @property
    def repo_edits(self) -> tuple[str, ...]:
        """``pre_install`` lines that edit repository files (applied to every tree)."""
        return tuple(c for c in self.pre_install if _REPO_EDIT.match(c.strip()))

    @property
    def skipped_pre_install(self) -> tuple[str, ...]:
        return tuple(c for c in self.pre_install if c not in self.repo_edits)

    @property
    def exports(self) -> tuple[str, ...]:
        """The ``export NAME=value`` lines of ``eval_commands`` (the rest need root)."""
        return tuple(c for c in self.eval_commands if c.strip().startswith("export "))

    @property
    def needs_source(self) -> bool:
        return bool(self.install or self.requirements_paths or self.repo_edits)

    @property
    def needs_pip(self) -> bool:
        if self.pip is not None:
            return self.pip
        return bool(self.install or self.requirements_paths or self.pip_packages
                    or self.conda_packages)

    @property
    def standalone(self) -> bool:
        """Run through tox --current-env: needs an interpreter prefix, not a venv."""
        words = self.test_cmd.split()
        return bool(words) and words[0] == "tox" and "--current-env" in words

    @property
    def conda_packages(self) -> tuple[str, ...]:
        if self.packages in ("", "requirements.txt", "environment.yml"):
            return ()
        return tuple(shlex.split(self.packages))

    def fingerprint(self) -> str:
        data = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(data).hexdigest()[:12]


def swebench_spec(repo: str, version: str) -> RepoSpec:
    """The recipe the swebench package holds for ``repo`` at ``version``."""
    from swebench.harness.constants import MAP_REPO_TO_REQS_PATHS, MAP_REPO_VERSION_TO_SPECS

    specs = MAP_REPO_VERSION_TO_SPECS.get(repo, {}).get(version)
    if specs is None:
        known = ", ".join(sorted(MAP_REPO_VERSION_TO_SPECS.get(repo, {}))) or "none"
        raise UnsupportedEnvironment(
            f"the swebench package has no recipe for {repo} version {version!r} (versions it "
            f"knows: {known}); give one with ROUTERX_SWEBENCH_SPECS")
    test_cmd = specs["test_cmd"]
    if isinstance(test_cmd, list):
        test_cmd = " && ".join(test_cmd)
    packages = str(specs.get("packages", ""))
    return RepoSpec(
        test_cmd=test_cmd,
        python=str(specs.get("python", "")),
        packages=packages,
        requirements_paths=tuple(MAP_REPO_TO_REQS_PATHS.get(repo, ()))
        if packages == "requirements.txt" else (),
        pip_packages=tuple(specs.get("pip_packages", ())),
        pre_install=tuple(specs.get("pre_install", ())),
        install=str(specs.get("install", "")),
        eval_commands=tuple(specs.get("eval_commands", ())),
    )


def resolve_spec(instance: Instance, overrides: Mapping[str, RepoSpec] | None = None) -> RepoSpec:
    """A caller's recipe for the repository if given, else the swebench package's."""
    if overrides and instance.repo in overrides:
        return overrides[instance.repo]
    return swebench_spec(instance.repo, instance.version)


def pinned(requirements: Sequence[str]) -> tuple[str, ...]:
    """The exact pins (``name==version``) among requirement strings."""
    return tuple(r for r in requirements if re.match(r"^[A-Za-z0-9._\-\[\],]+\s*==[^=]", r))


def scm_version(version: str) -> str:
    """A PEP 440 version for setuptools_scm from the instance's ``version`` ("7.0")."""
    return version if re.fullmatch(r"\d+(\.\d+)*", version or "") else "0.0"


@dataclass(frozen=True)
class PreparedEnv:
    """A built environment: the venv, the read-only paths a sandboxed run needs, and the
    build products to copy into each checkout."""

    root: Path
    venv: Path
    src: Path | None
    readonly_paths: tuple[Path, ...]
    build_products: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def site_packages(self) -> Path | None:
        found = sorted(self.venv.glob("lib/python*/site-packages"))
        return found[0] if found else None


def install_recorder(env: PreparedEnv) -> None:
    """Put routerx's pytest outcome recorder into the venv (importable by ``-p`` however
    the tests are started, tox included), refreshed when routerx's copy changed. The venv
    is read-only in the sandbox, so the tested code cannot replace it."""
    from benchmarks.swebench import report_plugin
    from benchmarks.swebench.guard import RECORDER_MODULE

    site = env.site_packages
    if site is None:
        raise EnvironmentBuildError(f"no site-packages in {env.venv}: rebuild it "
                                    f"(remove {env.root})")
    source = Path(report_plugin.__file__).read_text(encoding="utf-8")
    target = site / f"{RECORDER_MODULE}.py"
    if not target.is_file() or target.read_text(encoding="utf-8") != source:
        tmp = target.with_suffix(".py.tmp")
        tmp.write_text(source, encoding="utf-8")
        os.replace(tmp, target)


class EnvironmentCache:
    """Builds environments once per key, under a file lock, with a ready marker written
    last: an interrupted build is detected and redone, never used half-made."""

    def __init__(self, root: Path, repos: RepoSource, timeout_s: float = BUILD_TIMEOUT_S,
                 pip_args: Sequence[str] = (), date_cutoff: bool = True) -> None:
        self.root = root
        self.repos = repos
        self.timeout_s = timeout_s
        self.pip_args = tuple(pip_args)
        self.date_cutoff = date_cutoff

    def key(self, instance: Instance, spec: RepoSpec) -> str:
        how = f"{BUILD_METHOD}:{self.date_cutoff}" + (":standalone" if spec.standalone else "")
        method = hashlib.sha256(how.encode()).hexdigest()[:4]
        return (f"{mirror_name(instance.repo)}-{instance.env_commit[:12]}-{spec.fingerprint()}"
                f"-{method}")

    def cutoff(self, instance: Instance) -> str | None:
        """The date floating dependencies must predate: ``environment_setup_commit``'s
        (shared by every instance of the environment), else the instance's creation."""
        if not self.date_cutoff:
            return None
        try:
            return self.repos.commit_date(instance.repo, instance.env_commit)
        except ConfigError:
            return instance.created_at or None

    def prepare(self, instance: Instance, spec: RepoSpec) -> PreparedEnv:
        self.root.mkdir(parents=True, exist_ok=True)
        key = self.key(instance, spec)
        env_dir = self.root / key
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ready = env_dir / READY
            if not ready.is_file():
                shutil.rmtree(env_dir, ignore_errors=True)
                env_dir.mkdir(parents=True)
                manifest = self._build(instance, spec, env_dir)
                tmp = env_dir / f"{READY}.tmp"
                tmp.write_text(json.dumps(manifest, indent=2))
                os.replace(tmp, ready)
            manifest = json.loads(ready.read_text())
            env = PreparedEnv(
                root=env_dir,
                venv=env_dir / "venv",
                src=env_dir / "src" if (env_dir / "src").is_dir() else None,
                readonly_paths=tuple(Path(p) for p in manifest["readonly_paths"]),
                build_products=tuple(manifest["build_products"]),
                skipped=tuple(manifest["skipped_pre_install"]),
            )
            install_recorder(env)
        return env

    # -- building -----------------------------------------------------------------------
    def _run(self, argv: Sequence[str], log: Path, cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"$ {shlex.join(argv)}\n")
            fh.flush()
            try:
                done = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env else None,
                                      stdout=fh, stderr=subprocess.STDOUT,
                                      timeout=self.timeout_s, check=False)
            except subprocess.TimeoutExpired as exc:
                raise EnvironmentBuildError(f"environment build timed out: {shlex.join(argv)}; "
                                            f"log: {log}") from exc
        if done.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
            raise EnvironmentBuildError(
                f"environment build step failed ({shlex.join(argv)}, exit {done.returncode}); "
                f"log: {log}\n{tail}"
            )

    def _install(self, spec: RepoSpec, src: Path, pip: list[str], env: Mapping[str, str],
                 log: Path, step: _Steps, own_pip: str) -> None:
        """The recipe's install command, dated. pip >= 25.3 cannot install a project
        whose old setuptools lacks the PEP 660 hook in editable mode, so then: the
        requirements the project declares (``_declared_requirements``) are installed
        first, dated, and the command runs with the venv's own pip, of the harness's era
        (the requirements are then already satisfied). Without a cutoff to keep, the
        command is retried as it is (noted)."""
        command = ["bash", "-c", spec.install]
        vpy = Path(pip[0])
        if not step.cutoff:
            try:
                step.run(command, "install", cwd=src)
                return
            except EnvironmentBuildError:
                if not own_pip or own_pip == _pip_version(vpy, env):
                    raise
        else:
            try:
                step.run(command, "install", cwd=src, retry=False)
                return
            except EnvironmentBuildError:
                if not own_pip or own_pip == _pip_version(vpy, env):
                    step.run(command, "install", cwd=src)
                    return
            target = _install_target(spec.install)
            declared = _declared_requirements(src, target, vpy, env) if target else []
            if declared:
                try:
                    self._run([*pip, f"--uploaded-prior-to={step.cutoff}", *declared], log,
                              env=env)
                except EnvironmentBuildError:
                    step.notes.append(f"install: the dependencies of {target} could not be "
                                      "resolved under the cutoff")
        step.notes.append(f"install: run with the venv's own pip {own_pip}")
        self._run([*pip, f"pip=={own_pip}"], log, env=env)
        self._run(command, log, cwd=src, env=env)

    def _standalone(self, python: Path, target: Path, log: Path) -> None:
        """A copy of the interpreter's prefix instead of a venv, for recipes run through
        tox --current-env: it runs the interpreter through a symlink of its own, and a
        venv's python reached through a symlink no longer finds its pyvenv.cfg (its
        packages vanish). A conda environment, the harness's, is such a prefix."""
        probe = subprocess.run([str(python), "-c", "import sys; print(sys.base_prefix); "
                                "print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, check=True, timeout=120)
        prefix, version = probe.stdout.split()[:2]
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"$ copy {prefix} -> {target} (without site-packages)\n")
        _copy_prefix(Path(prefix), target)
        (target / "lib" / f"python{version}" / "site-packages").mkdir(exist_ok=True)
        if not (target / "bin" / "python").exists():
            (target / "bin" / "python").symlink_to(f"python{version}")
        self._run([str(target / "bin" / "python"), "-m", "ensurepip", "--default-pip"], log)

    def _build(self, instance: Instance, spec: RepoSpec, env_dir: Path) -> dict[str, Any]:
        if spec.packages == "environment.yml":
            raise UnsupportedEnvironment(
                f"{instance.repo} {instance.version}: the swebench recipe builds this "
                "environment with conda from an environment.yml, which the local executor "
                "does not do; evaluate it where a Docker engine runs the official harness")
        log = env_dir / "build.log"
        venv = env_dir / "venv"
        python = find_python(spec.python)
        if spec.standalone:
            self._standalone(python, venv, log)
        else:
            venv_args = [str(python), "-m", "venv", str(venv)]
            if not spec.needs_pip:
                venv_args.insert(3, "--without-pip")
            self._run(venv_args, log)
        vpy = venv / "bin" / "python"
        probe = subprocess.run(
            [str(vpy), "-c", "import sys,sysconfig;print(sys.base_prefix);"
             "print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True, timeout=120)
        base_prefix, purelib = probe.stdout.splitlines()[:2]
        if spec.inherit:
            Path(purelib, "_routerx_inherit.pth").write_text("\n".join(spec.inherit) + "\n")
        env = {**os.environ, "VIRTUAL_ENV": str(venv),
               "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
               "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "SETUPTOOLS_SCM_PRETEND_VERSION": scm_version(instance.version)}
        env.pop("PYTHONPATH", None)
        notes: list[str] = []
        cutoff = self.cutoff(instance) if spec.needs_pip else None
        if cutoff:
            # sources without upload times would let anything through the cutoff
            env["PIP_CONFIG_FILE"] = os.devnull
            for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
                env.pop(name, None)
        pip = [str(vpy), "-m", "pip", "install", *self.pip_args]
        own_pip = ""
        if spec.needs_pip:
            own_pip = _pip_version(vpy, env)
            self._run([*pip, "--upgrade", "pip"], log, env=env)
            if cutoff and not _pip_has(vpy, "--uploaded-prior-to", env):
                notes.append(f"no date cutoff: the venv's pip is too old for "
                             f"--uploaded-prior-to (Python {spec.python or 'running'})")
                cutoff = None
        step = _Steps(self, log, env, cutoff, notes)
        src: Path | None = None
        products: list[str] = []
        if spec.needs_source:
            src = env_dir / "src"
            index = self.repos.export(instance.repo, instance.env_commit, src,
                                      index=env_dir / "src.index")
            apply_repo_edits(spec, src)
        # the harness's order: requirements (or conda packages), the recipe's pip
        # packages, then the repository's own install (whose requirements may override)
        if spec.requirements_paths:
            assert src is not None
            reqs = read_requirements(src, spec.requirements_paths, instance.repo)
            req_file = env_dir / "requirements.txt"
            req_file.write_text(reqs)
            step.pip([*pip, "-r", str(req_file)], "requirements")
        if spec.conda_packages:
            step.pip([*pip, *spec.conda_packages], "packages")
        pins = pinned(spec.pip_packages)
        if pins:
            (env_dir / "pins.txt").write_text("\n".join(pins) + "\n")
            self._run([*pip, *pins], log, env=env)
        floating = [p for p in spec.pip_packages if p not in pins]
        if floating:
            constraints = ["-c", str(env_dir / "pins.txt")] if pins else []
            step.pip([*pip, *floating, *constraints], "unpinned packages")
        if spec.install:
            assert src is not None
            self._install(spec, src, pip, env, log, step, own_pip)
        if src is not None:
            products = [p for p in self.repos.untracked(instance.repo, src, index)
                        if not (p.endswith(_SKIP_PRODUCTS) or "/__pycache__/" in f"/{p}")]
        # a copied prefix still loads libpython from the original (its RUNPATH)
        origin = subprocess.run([str(python), "-c", "import sys; print(sys.base_prefix)"],
                                capture_output=True, text=True, check=True, timeout=120)
        readonly = [str(env_dir), base_prefix, origin.stdout.strip(), *spec.inherit]
        return {
            "repo": instance.repo,
            "environment_setup_commit": instance.env_commit,
            "spec": asdict(spec),
            "python": str(python),
            "uploaded_prior_to": cutoff,
            "notes": notes,
            "readonly_paths": list(dict.fromkeys(readonly)),
            "build_products": products,
            "skipped_pre_install": list(spec.skipped_pre_install),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }


def _install_target(command: str) -> str:
    """``.[test]`` from ``python -m pip install -e .[test]`` ("" when not of that form)."""
    match = re.search(r"\bpip install\s+(?:-e\s+|--editable\s+)?(\.(?:\[[\w,\-]+\])?)(?:\s|$)",
                      command)
    return match.group(1) if match else ""


def _declared_requirements(src: Path, target: str, python: Path,
                           env: Mapping[str, str]) -> list[str]:
    """The requirements a setuptools project declares for ``target`` (``.[test]``), read
    from ``setup.py egg_info`` run by the environment's own setuptools (new pips refuse
    some old projects' metadata outright: "Invalid version ...dev-20261201"). Markers
    are kept for pip to evaluate; [] for a project without setup.py or on any failure."""
    if not (src / "setup.py").is_file():
        return []
    extras = set(re.findall(r"[\w\-]+", target[target.find("[") + 1:])) if "[" in target else set()
    with tempfile.TemporaryDirectory(prefix="egg-info-") as tmp:
        done = subprocess.run([str(python), "setup.py", "-q", "egg_info", "--egg-base", tmp],
                              cwd=src, capture_output=True, text=True, timeout=600,
                              env=dict(env), check=False)
        found = list(Path(tmp).glob("*.egg-info/requires.txt"))
        if done.returncode != 0 or not found:
            return []
        text = found[0].read_text(encoding="utf-8", errors="replace")
    requirements, wanted, marker = [], True, ""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            wanted = not extra or extra in extras
            continue
        if wanted:
            requirements.append(f"{line}; {marker}" if marker else line)
    return requirements


def _copy_prefix(source: Path, target: Path) -> None:
    """The interpreter's installation without its site-packages (someone else's
    packages) and its own test suite."""
    def skip(folder: str, names: list[str]) -> list[str]:
        here = Path(folder)
        if here.name.startswith("python") and here.parent.name == "lib":
            return [n for n in names if n in ("site-packages", "test", "idlelib")]
        return [n for n in names if n == "__pycache__"]

    shutil.copytree(source, target, symlinks=True, ignore=skip)


def _pip_version(python: Path, env: Mapping[str, str]) -> str:
    done = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,
                          text=True, timeout=120, env=dict(env), check=False)
    words = done.stdout.split()
    return words[1] if done.returncode == 0 and len(words) > 1 else ""


def _pip_has(python: Path, option: str, env: Mapping[str, str]) -> bool:
    done = subprocess.run([str(python), "-m", "pip", "install", "--help"], capture_output=True,
                          text=True, timeout=120, env=dict(env), check=False)
    return option in done.stdout


class _Steps:
    """Build steps resolved under the date cutoff, each retried once without it when the
    cutoff leaves no solution (noted in the manifest)."""

    def __init__(self, cache: EnvironmentCache, log: Path, env: Mapping[str, str],
                 cutoff: str | None, notes: list[str]) -> None:
        self.cache, self.log, self.env, self.cutoff, self.notes = cache, log, env, cutoff, notes

    def pip(self, argv: list[str], what: str) -> None:
        dated = [*argv, f"--uploaded-prior-to={self.cutoff}"] if self.cutoff else argv
        self._attempt(dated, argv, what, None, {})

    def run(self, argv: list[str], what: str, cwd: Path, retry: bool = True) -> None:
        dated = {"PIP_UPLOADED_PRIOR_TO": self.cutoff} if self.cutoff else {}
        if not retry:
            self.cache._run(argv, self.log, cwd=cwd, env={**self.env, **dated})
            return
        self._attempt(argv, argv, what, cwd, dated, {})

    def _attempt(self, first: list[str], second: list[str], what: str, cwd: Path | None,
                 first_env: Mapping[str, str], second_env: Mapping[str, str] | None = None
                 ) -> None:
        try:
            self.cache._run(first, self.log, cwd=cwd, env={**self.env, **first_env})
        except EnvironmentBuildError:
            if not self.cutoff:
                raise
            self.notes.append(f"{what}: resolved without the date cutoff {self.cutoff} "
                              "(no solution under it)")
            self.cache._run(second, self.log, cwd=cwd,
                            env={**self.env, **(second_env if second_env is not None
                                                else first_env)})


def apply_repo_edits(spec: RepoSpec, tree: Path) -> None:
    """Run the recipe's repository-editing ``pre_install`` lines in ``tree``.

    Only on a pristine tree (the environment's copy, or a checkout before the model's
    patch): these are the swebench recipe's own ``sed -i`` lines on tracked files."""
    for command in spec.repo_edits:
        done = subprocess.run(["bash", "-c", command], cwd=tree, capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise EnvironmentBuildError(f"pre_install step failed in {tree}: {command}: "
                                        f"{done.stderr.strip()}")


_EXCLUDED_REQ = ("-e .", "#", ".[test")


def read_requirements(src: Path, paths: Sequence[str], repo: str) -> str:
    """The requirements text the harness would fetch, read from the local tree.

    Same rules as swebench's ``get_requirements_by_commit`` (first path that exists;
    ``-r`` includes resolved beside it; editable self-installs and comments dropped),
    then its ``clean_requirements``; only the source differs (no HTTP)."""
    from swebench.harness.test_spec.python import clean_requirements

    for rel in paths:
        path = src / rel
        if path.is_file():
            break
    else:
        raise EnvironmentBuildError(f"{repo}: none of the requirement files exist: "
                                    f"{', '.join(paths)}")
    original: list[str] = []
    extra: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
        if line.strip().startswith("-r"):
            included = path.parent / line.strip()[2:].strip()
            if included.is_file():
                extra += [x for x in included.read_text(encoding="utf-8", errors="replace")
                          .split("\n") if not x.strip().startswith(_EXCLUDED_REQ)]
        elif not line.strip().startswith(_EXCLUDED_REQ):
            original.append(line)
    extra.append("\n".join(original))
    return clean_requirements("\n".join(extra))


def import_roots(spec: RepoSpec, checkout: Path) -> list[Path]:
    """Where the checkout's packages live, first on PYTHONPATH in the sandbox."""
    if spec.python_path is not None:
        return [checkout / p for p in spec.python_path]
    roots = []
    if (checkout / "src").is_dir():
        roots.append(checkout / "src")
    roots.append(checkout)
    return roots


def copy_build_products(env: PreparedEnv, checkout: Path) -> int:
    """Copy the install's build products into a pristine checkout (where absent)."""
    if env.src is None:
        return 0
    copied = 0
    for rel in env.build_products:
        source, target = env.src / rel, checkout / rel
        if source.is_file() and not source.is_symlink() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
    return copied
