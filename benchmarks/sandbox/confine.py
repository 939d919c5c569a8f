"""What a sandboxed process gives up before it runs untrusted code: its environment,
its resource headroom and its privileges.

Order matters: limits are set while still root (hard limits equal to soft, so they can
never be raised again), then groups, gid and uid are dropped, then no_new_privs stops
any setuid binary from handing privileges back.
"""

from __future__ import annotations

import os
import resource
from typing import NamedTuple

from benchmarks.sandbox import linux

#: the unprivileged user samples run as ("nobody")
SANDBOX_UID = 65534
SANDBOX_GID = 65534
MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin"


class Limits(NamedTuple):
    """rlimits for one sandboxed process tree (each applies per process, except nproc,
    which counts every process of the sandbox user)."""

    cpu_s: int
    memory_mb: int
    nproc: int = 64
    fsize_mb: int = 16
    nofile: int = 256


def minimal_env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"PATH": MINIMAL_PATH, "LANG": "C.UTF-8", "HOME": home}
    env.update(extra or {})
    return env


def replace_environ(env: dict[str, str]) -> None:
    """Empty ``os.environ`` (and the C environment under it), then set ``env``."""
    os.environ.clear()
    os.environ.update(env)


def _hard(which: int, value: int) -> None:
    resource.setrlimit(which, (value, value))


def apply_shared_limits(limits: Limits) -> None:
    """The limits that are the same for every job of a worker: set once in the worker
    (root ignores nproc and may raise its own limits again; its children may not)."""
    _hard(resource.RLIMIT_NPROC, limits.nproc)
    _hard(resource.RLIMIT_FSIZE, limits.fsize_mb * 1024 * 1024)
    _hard(resource.RLIMIT_NOFILE, limits.nofile)
    _hard(resource.RLIMIT_CORE, 0)
    _hard(resource.RLIMIT_MEMLOCK, 0)
    _hard(resource.RLIMIT_MSGQUEUE, 0)


def apply_job_limits(limits: Limits) -> None:
    """The per-job limits: CPU seconds (a process's count starts at zero) and address
    space (the worker itself must not be bound by a job's). The CPU limit sends
    SIGXCPU at ``cpu_s`` and SIGKILL one second later."""
    cpu = max(1, limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _hard(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)


def apply_limits(limits: Limits) -> None:
    apply_shared_limits(limits)
    apply_job_limits(limits)


def drop_privileges(uid: int = SANDBOX_UID, gid: int = SANDBOX_GID) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved ids): every capability
    is lost with the switch away from uid 0."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise OSError("privileges were not dropped")
