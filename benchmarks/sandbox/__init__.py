"""The contained executor: untrusted code in, verdicts out.

``Sandbox`` (``pool``) keeps pre-forked workers (``worker``) that run each Python
``Job`` in a fresh clone (``child``) confined by namespaces, a read-only allow-listed
root (``rootfs``), rlimits and an unprivileged user (``confine``); ``run_command``
(``command``) does the same for a command with a writable workdir. ``timeout_for``
(``timeouts``) gives EvalPlus's per-task time limit.
"""

from benchmarks.sandbox.jobs import CommandJob, CommandResult, Job, Verdict
from benchmarks.sandbox.pool import Sandbox
from benchmarks.sandbox.timeouts import timeout_for

__all__ = ["CommandJob", "CommandResult", "Job", "Sandbox", "Verdict", "timeout_for"]
