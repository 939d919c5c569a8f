"""The sandboxed side of one Python job: confine this freshly cloned process, run the
program, report how it ended.

Runs as PID 1 of a new PID namespace (so when it ends, every process it started is
killed by the kernel) in a new mount and IPC namespace, inside the worker's network
namespace (empty) and read-only root. The verdict goes to the worker over a pipe; the
worker trusts only its shape, and decides timeouts and crashes itself.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import sys
from typing import Any

from benchmarks.sandbox import confine, linux, rootfs
from benchmarks.sandbox.jobs import DETAIL_LIMIT, cap_text

SCRATCH = "/tmp"
#: exit code of a child whose set-up failed (reported by the worker as crashed)
SETUP_FAILED = 121


def describe(exc: BaseException) -> str:
    name = type(exc).__name__
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__ must not lose the verdict
        message = "<unprintable>"
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        message = f"{exc.msg} (line {exc.lineno})"
    return cap_text(f"{name}: {message}" if message else name, DETAIL_LIMIT)


def classify(exc: BaseException) -> str:
    if isinstance(exc, AssertionError):
        return "failed"
    if isinstance(exc, MemoryError):
        return "out_of_memory"
    return "error"


def confine_self(out_fd: int, result_fd: int, limits: confine.Limits,
                 scratch_mb: int) -> None:
    """Everything between the clone and the first line of untrusted code."""
    os.setsid()
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    rootfs.mount_private(scratch_mb, confine.SANDBOX_UID, confine.SANDBOX_GID)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65536)
    os.chdir(SCRATCH)
    confine.replace_environ(confine.minimal_env(SCRATCH))
    confine.apply_limits(limits)
    confine.drop_privileges()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1,
                signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = ["<sample>"]


def execute(program: str) -> tuple[str, str | None]:
    """Run ``program`` as a fresh module; (status, detail) from how it ended."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        code = compile(program, "<sample>", "exec")
        exec(code, namespace)  # noqa: S102 - this process is the sandbox
    except BaseException as exc:  # every way a program can end is a verdict
        return classify(exc), describe(exc)
    return "passed", None


def report(result_fd: int, status: str, detail: str | None) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    data = json.dumps({"status": status, "detail": detail}).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(result_fd, view):]


def main(program: str, out_fd: int, result_fd: int, limits: confine.Limits,
         scratch_mb: int) -> None:
    """Never returns: the process ends with os._exit whatever happens."""
    me = os.getpid()
    try:
        confine_self(out_fd, result_fd, limits, scratch_mb)
    except BaseException as exc:
        try:
            os.write(2, f"sandbox set-up failed: {exc!r}\n".encode())
        finally:
            os._exit(SETUP_FAILED)
    try:
        status, detail = execute(program)
        if os.getpid() == me:  # a process the program forked must not report
            report(result_fd, status, detail)
    except BaseException:
        pass
    os._exit(0)
