"""Run `routerx` as a separate process, from this checkout's code.

Tests chdir into a temporary directory, so a bare `python -m router` would import
whichever routerx is installed, not the code under test: PYTHONPATH names the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def routerx(*args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess:
    """`routerx ARGS` to completion; text stdout and stderr captured."""
    env = child_env(kwargs.pop("env", None))
    return subprocess.run([sys.executable, "-m", "router", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False, **kwargs)
