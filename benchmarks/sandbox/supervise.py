"""Watching a sandboxed process tree from outside: drain its pipes, enforce the wall
clock, reap it.

The watched process is PID 1 of its own PID namespace, so one SIGKILL to it ends every
process it started (the kernel tears the namespace down), and once it is reaped no
process can be left holding the pipes: reading them to end-of-file cannot hang.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Mapping
from typing import NamedTuple

from benchmarks.sandbox.capture import CappedBuffer


class Ended(NamedTuple):
    status: int        # wait status
    killed: bool       # killed by us for the deadline
    cpu_s: float       # CPU seconds the process itself used


def supervise(pid: int, pipes: Mapping[int, CappedBuffer], deadline: float) -> Ended:
    """Drain ``pipes`` until ``pid`` exits or ``deadline`` (monotonic) passes, then reap
    it and drain the rest. Closes the pipe fds."""
    for fd in pipes:
        os.set_blocking(fd, False)
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    for fd in pipes:
        poller.register(fd, select.POLLIN)
    killed = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            events = poller.poll(int(remaining * 1000) + 1)
            if any(fd == pidfd for fd, _ in events):
                break
            for fd, _ in events:
                if not pipes[fd].read_from(fd):
                    poller.unregister(fd)
    finally:
        os.close(pidfd)
    _, status, usage = os.wait4(pid, 0)
    for fd, buf in pipes.items():
        while buf.read_from(fd):
            pass
        os.close(fd)
    return Ended(status, killed, usage.ru_utime + usage.ru_stime)


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
