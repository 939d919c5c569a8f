"""Tying everything a sandbox process starts to that process's own life.

Why: the parent-death signal alone is not enough. It is cleared when a process changes
its user (every sample does), it fires when the parent *thread* ends, and it is racy
(the parent can die before the child sets it). A PID namespace is exact instead: when
its PID 1 dies, the kernel kills every process in it, nested namespaces included.

``become_init`` makes the caller (already root of its own user namespace, ``userns``,
which then owns the PID namespace) PID 1 of a fresh PID namespace: it unshares one and
forks; the original process only waits and then exits with the same status, so the
host still holds one process per worker and killing that one ends them all (the init
has a parent-death signal on the original, checked for the race through a pipe).
"""

from __future__ import annotations

import os
import select
import signal
from collections.abc import Iterable

from benchmarks.sandbox import linux, userns


def become_init(keep_fds: Iterable[int] = ()) -> None:
    """Continue as PID 1 of a new PID namespace (see module doc). Raises OSError if
    the namespace cannot be created."""
    read_end, write_end = os.pipe()
    try:
        linux.unshare(linux.CLONE_NEWPID)
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise userns.explain(exc, "cannot create a PID namespace") from exc
    pid = os.fork()
    if pid:
        _wait_and_mirror(pid, read_end, write_end, keep_fds)
    os.close(write_end)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    poller = select.poll()
    poller.register(read_end, select.POLLIN)
    if poller.poll(0):  # the original is already gone: its end of the pipe closed
        os._exit(1)
    os.close(read_end)


def _wait_and_mirror(pid: int, read_end: int, write_end: int, keep: Iterable[int]) -> None:
    """The original process: hold only the lifeline, wait, exit as the init did."""
    os.close(read_end)
    for fd in set(keep):
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))
