"""A `routerx assess` killed with SIGKILL leaves no Prefect server behind.

Real processes throughout: the CLI in its own session (as a shell job would be), the
temporary Prefect server it starts, a simulated provider on 127.0.0.1. Every process a
test starts is killed in a `finally`, whatever the outcome.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from benchmarks.simulated import SimulatedModel, SimulatedProvider
from router.cli import orphan_guard
from router.discovery import run_discovery
from tests.router.cli.process import child_env
from tests.servers import wait_until


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has finished)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[tuple[int, list[str]]]:
    """(pid, argv) of every process whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), argv))
    return found


@contextmanager
def reaped(*groups: Callable[[], list[int]]) -> Iterator[None]:
    """On the way out, SIGKILL whatever these callables name that still runs."""
    try:
        yield
    finally:
        for pids in groups:
            for pid in pids():
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_sigkilled_assess_leaves_no_prefect_server(tmp_path: Path) -> None:
    slow = (SimulatedModel("slowpoke", 0.5, 0.5),)
    with SimulatedProvider(slow) as sim:
        config = tmp_path / "routerx.toml"
        config.write_text(f'[providers.simulated]\nbase_url = "{sim.base_url}"\n'
                          '[prices."simulated/*"]\ninput = 1.0\noutput = 2.0\n')
        os.environ["ROUTERX_CONFIG"] = str(config)
        assert run_discovery(providers=["simulated"]).queued == ["simulated/slowpoke"]
        env = child_env({"PREFECT_HOME": str(tmp_path / "prefect-home"),
                         "ROUTERX_CONFIG": str(config), "ROUTERX_MAX_CONCURRENCY": "1"})
        env.pop("PREFECT_API_URL", None)
        cli = subprocess.Popen(
            [sys.executable, "-m", "router", "assess", "simulated/slowpoke", "-b", "humaneval",
             "--limit", "100", "--json"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        server: list[int] = []
        with reaped(lambda: [cli.pid], lambda: server):
            def started() -> tuple[int, list[str]] | None:
                assert cli.poll() is None, f"routerx assess exited early ({cli.returncode})"
                return next(((pid, argv) for pid, argv in children(cli.pid)
                             if "uvicorn" in argv), None)

            pid, argv = wait_until(started, 240, "routerx assess to start its Prefect server")
            server.append(pid)
            assert orphan_guard.__name__ in argv  # started under the guard
            port = argv[argv.index("--port") + 1]

            def healthy() -> bool:
                return httpx.get(f"http://127.0.0.1:{port}/api/health",
                                 timeout=10).status_code == 200

            wait_until(healthy, 240, "the temporary Prefect server to answer")
            wait_until(lambda: sim.requests > 0, 240, "the assessment to ask the provider")

            os.kill(cli.pid, signal.SIGKILL)
            cli.wait(30)
            wait_until(lambda: not alive(pid), 120,
                     f"the orphaned Prefect server (pid {pid}) to exit")
            with pytest.raises(httpx.TransportError):
                healthy()


@pytest.mark.parametrize("own_group", [False, True])
def test_guarded_child_exits_when_its_parent_is_killed(tmp_path: Path, own_group: bool) -> None:
    """The guard alone: parent -> guarded child (-> its own child, in its own group)."""
    (tmp_path / "spawner.py").write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n")
    parent_code = (
        "import subprocess, sys\n"
        "from router.cli.orphan_guard import command\n"
        f"guarded = subprocess.Popen(command('spawner'), start_new_session={own_group})\n"
        "print(guarded.pid, flush=True)\n"
        "guarded.wait()\n")
    env = child_env({"PYTHONPATH": f"{tmp_path}{os.pathsep}{child_env()['PYTHONPATH']}"})
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    with reaped(lambda: [parent.pid], lambda: pids):
        assert parent.stdout is not None
        pids.append(int(parent.stdout.readline()))   # the guarded child
        pids.append(int(parent.stdout.readline()))   # its own child
        assert all(alive(p) for p in pids)
        parent.kill()
        parent.wait(30)
        wait_until(lambda: not alive(pids[0]), 60, "the guarded child to exit")
        if own_group:  # a group leader takes its whole group with it
            wait_until(lambda: not alive(pids[1]), 60, "the guarded child's own child to exit")


def test_guard_usage_errors() -> None:
    with pytest.raises(SystemExit, match="usage"):
        orphan_guard.main(["x", "-m", "mod"])
    with pytest.raises(SystemExit, match="usage"):
        orphan_guard.main(["123", "mod"])
