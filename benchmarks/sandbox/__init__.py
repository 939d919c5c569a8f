"""The contained executor: untrusted code in, verdicts out.

``Sandbox`` (``pool``) keeps pre-forked workers (``worker``) that run each Python
``Job`` in a fresh clone (``child``) confined by namespaces, a read-only allow-listed
root (``rootfs``), rlimits and an unprivileged user (``confine``); ``run_command``
(``command``) does the same for a command with a writable workdir. ``timeout_for``
(``timeouts``) gives EvalPlus's per-task time limit.

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
