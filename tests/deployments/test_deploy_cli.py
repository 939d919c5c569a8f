"""`routerx deploy` refuses, in one line, to serve when no Prefect server answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow  # each runs `routerx deploy` to its end: over 5 s


def _deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "router", "deploy", "--serve"], env=env,
                          capture_output=True, text=True, timeout=120)


def test_without_a_configured_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")  # no profile of the developer's
    done = _deploy(env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: no Prefect server configured: run `prefect server start` and set "
        "PREFECT_API_URL=http://127.0.0.1:4200/api"]


def test_with_a_server_that_does_not_answer() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    done = _deploy(os.environ | {"PREFECT_API_URL": url})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: the Prefect server at {url} does not answer")
    assert "Traceback" not in done.stderr
