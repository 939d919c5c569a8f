"""What a sandboxed process gives up before it runs untrusted code: its environment,
its resource headroom and its privileges.

Order matters: limits are set while still root of the worker's user namespace (hard
limits equal to soft, so they can never be raised again), then groups, gid and uid are
dropped, every capability is cleared (a sample that keeps uid 0, in ``userns``'s single
mode, would otherwise keep them) and securebits and no_new_privs stop any execve from
handing privileges back.

Which uid a sample runs as is the worker's (``use_ids``, from its start-up config): each
worker has its own (``userns``).
"""

from __future__ import annotations

import os
import resource
from typing import NamedTuple

from benchmarks.sandbox import linux

MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin"


#: how many more processes the worker may start than one of its samples: in single-uid
#: mode a sample's processes and the worker's share one count, and the worker must still
#: be able to start the next sample (or a judge) while a sample holds its whole limit
WORKER_NPROC_HEADROOM = 32


class _Ids:
    """The ids samples drop to, set once per worker by ``use_ids``."""

    uid = gid = -1
    setgroups = True


def use_ids(uid: int, gid: int, setgroups: bool = True) -> None:
    """Make ``uid``/``gid`` what ``drop_privileges`` drops to by default. ``setgroups``
    False where the user namespace refuses setgroups (single-uid mode)."""
    _Ids.uid, _Ids.gid, _Ids.setgroups = uid, gid, setgroups


def sandbox_ids() -> tuple[int, int]:
    if _Ids.uid < 0:
        raise OSError("the sandbox's uid was never set (confine.use_ids)")
    return _Ids.uid, _Ids.gid


class Limits(NamedTuple):
    """rlimits for one sandboxed process tree (each applies per process, except nproc,
    which counts every process of the sample's uid in its worker's user namespace)."""

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


#: System V IPC objects would outlive a sample inside its IPC namespace, holding memory
#: outside its limit: none may be created
_NO_SYSV_IPC = {"kernel/shmmni": "0", "kernel/msgmni": "0", "kernel/sem": "0 0 0 0"}


def disable_sysv_ipc() -> None:
    """No System V IPC in the caller's (fresh) IPC namespace. Needs the host's /proc,
    so before the view replaces the root."""
    for key, value in _NO_SYSV_IPC.items():
        with open(f"/proc/sys/{key}", "w") as fh:
            fh.write(value)


def _hard(which: int, value: int) -> None:
    resource.setrlimit(which, (value, value))


def apply_shared_limits(limits: Limits) -> None:
    """The limits that are the same for every job of a worker: set once in the worker
    (which, root of its user namespace, may raise its own again; its children may not).
    The worker's process limit has headroom over a sample's (``WORKER_NPROC_HEADROOM``);
    ``apply_job_limits`` lowers it to the sample's."""
    _hard(resource.RLIMIT_NPROC, limits.nproc + WORKER_NPROC_HEADROOM)
    _hard(resource.RLIMIT_FSIZE, limits.fsize_mb * 1024 * 1024)
    _hard(resource.RLIMIT_NOFILE, limits.nofile)
    _hard(resource.RLIMIT_CORE, 0)
    _hard(resource.RLIMIT_MEMLOCK, 0)
    _hard(resource.RLIMIT_MSGQUEUE, 0)


def apply_job_limits(limits: Limits) -> None:
    """The per-job limits: CPU seconds (a process's count starts at zero), address
    space (the worker itself must not be bound by a job's) and processes. The CPU limit
    sends SIGXCPU at ``cpu_s`` and SIGKILL one second later."""
    cpu = max(1, limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _hard(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
    _hard(resource.RLIMIT_NPROC, limits.nproc)


def apply_limits(limits: Limits) -> None:
    apply_shared_limits(limits)
    apply_job_limits(limits)


_SECUREBITS = (linux.SECBIT_NOROOT | linux.SECBIT_NOROOT_LOCKED
               | linux.SECBIT_NO_CAP_AMBIENT_RAISE | linux.SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)


def drop_privileges(uid: int | None = None, gid: int | None = None) -> None:
    """Become ``uid``/``gid`` (default: the worker's sandbox ids, ``use_ids``) for good
    (real, effective and saved ids), with no capability left and none to be had again
    (securebits, no_new_privs), even where ``uid`` is 0 of a single-uid namespace."""
    if uid is None or gid is None:
        uid, gid = sandbox_ids()
    if _Ids.setgroups:
        os.setgroups([])
    linux.prctl(linux.PR_SET_SECUREBITS, _SECUREBITS)
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    linux.clear_capabilities()
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid \
            or linux.capabilities() != (0, 0):
        raise OSError("privileges were not dropped")
