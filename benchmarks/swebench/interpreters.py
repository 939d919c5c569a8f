"""Finding the Python a SWE-bench recipe names (``"3.9"``), wherever it is installed.

Why each candidate is run before it is trusted: on a machine with pyenv, ``python3.9`` on
PATH is usually a shim that exits with "pyenv: python3.9: command not found" unless that
version is active, although ``~/.pyenv/versions/3.9.18`` is installed. So a candidate
counts only when it starts and reports the version asked for. Order: PATH, then
``$PYENV_ROOT/versions/X.Y.*`` (default ``~/.pyenv``; the newest patch release), then
``uv python find X.Y`` (uv-managed interpreters). Nothing found is an ``interpreter``
outcome (routerx's, never the model's) whose message says how to install it. Results
are cached per version for the life of the process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from router.errors import ConfigError

PROBE_TIMEOUT_S = 60.0
_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"
_cache: dict[str, Path] = {}
_lock = threading.Lock()


class InterpreterMissing(ConfigError):
    """The Python version a recipe needs is not installed here (an ``interpreter``
    outcome); the message is one line naming the fix."""

    status = "interpreter"


def reports_version(python: Path | str, version: str) -> bool:
    """Whether ``python`` starts and is ``version`` (a pyenv shim of an inactive version
    exits 127; a broken install raises)."""
    try:
        done = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def _release(path: Path) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", path.parent.parent.name)]


def _candidates(version: str) -> list[Path]:
    found: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    # X.Y.Z only: "3.9.18", not "3.9-dev" or "miniconda3-3.9"
    found += sorted((p for p in pyenv.glob(f"{version}.*/bin/python{version}")
                     if re.fullmatch(rf"{re.escape(version)}\.\d+", p.parent.parent.name)),
                    key=_release, reverse=True)
    uv = shutil.which("uv")
    if uv:
        try:
            done = subprocess.run([uv, "python", "find", version], capture_output=True,
                                  text=True, timeout=PROBE_TIMEOUT_S, check=False,
                                  env={**os.environ, "UV_PYTHON_DOWNLOADS": "never",
                                       "UV_OFFLINE": "1"})
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            found.append(Path(done.stdout.strip().splitlines()[-1]))
    return found


def find_python(version: str) -> Path:
    """An interpreter for ``version`` ("X.Y", a path, or "" for the running one)."""
    if not version:
        return Path(sys.executable)
    if "/" in version:
        path = Path(version)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise InterpreterMissing(f"Python interpreter not found or not executable: {path}")
        return path
    if not re.fullmatch(r"\d+\.\d+", version):
        raise ConfigError(f"Python version must look like 3.9, got {version!r}")
    with _lock:
        if version in _cache:
            return _cache[version]
        for candidate in _candidates(version):
            if reports_version(candidate, version):
                _cache[version] = candidate
                return candidate
    pyenv_root = os.environ.get("PYENV_ROOT") or "~/.pyenv"
    raise InterpreterMissing(
        f"Python {version} is not installed (looked for a working python{version} on PATH, "
        f"in {pyenv_root}/versions/{version}.*, and with `uv python find`): install it with "
        f"`pyenv install {version}` or `uv python install {version}`")


def forget() -> None:
    """Drop the cache (tests; or after installing an interpreter in a long process)."""
    with _lock:
        _cache.clear()
