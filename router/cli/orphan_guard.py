"""Run a Python module in a child process that cannot outlive its parent.

    python -m router.cli.orphan_guard PARENT_PID -m MODULE [ARG]...

Why: Prefect's temporary server (started for `routerx assess`, `routerx demo`,
`routerx discover --flow` when no server is configured) is a child process stopped by
an `atexit` hook of the parent. A parent killed with SIGKILL runs no hook, and the
server lived on, holding its port and its database. Here a watcher thread in the child
blocks on a pidfd of the parent (polling `getppid()` where pidfds are missing); when the
parent is gone it sends SIGTERM, which uvicorn turns into a clean shutdown, and after a
grace period it exits hard.

Why not PR_SET_PDEATHSIG: the kernel sends it when the parent *thread* that forked the
child exits, not the process. Prefect starts its server from whichever thread first
needs the API (the CLI runs flows in a worker thread), so the server would die with
that thread while the CLI still needs it.

A child that leads its own process group (`start_new_session=True`) takes the whole
group down with it, so a server that forks workers leaves none behind either.
"""

from __future__ import annotations

import os
import runpy
import select
import signal
import sys
import threading
import time

GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5
USAGE = "usage: python -m router.cli.orphan_guard PARENT_PID -m MODULE [ARG]..."


def command(module: str, *args: str, parent: int | None = None) -> list[str]:
    """The argv that runs `python -m MODULE ARGS` under this guard, tied to `parent`
    (default: the calling process)."""
    parent = os.getpid() if parent is None else parent
    return [sys.executable, "-m", __name__, str(parent), "-m", module, *args]


def wait_for_exit(pid: int) -> None:
    """Block until process `pid` (our parent) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except OSError:  # no pidfd support (old kernel, seccomp): watch our own parent id
        while os.getppid() == pid:
            time.sleep(POLL_SECONDS)
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def _signal_all(signum: int) -> None:
    if os.getpgid(0) == os.getpid():
        os.killpg(0, signum)
    else:
        os.kill(os.getpid(), signum)


def _watch(parent: int) -> None:
    if os.getppid() == parent:  # otherwise the parent is already gone
        wait_for_exit(parent)
    _signal_all(signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    _signal_all(signal.SIGKILL)
    os._exit(1)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or not args[0].isdigit() or args[1] != "-m":
        sys.exit(USAGE)
    parent, module = int(args[0]), args[2]
    threading.Thread(target=_watch, args=(parent,), name="orphan-guard", daemon=True).start()
    sys.argv = [module, *args[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
