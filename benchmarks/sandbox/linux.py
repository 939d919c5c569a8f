"""The few Linux system calls the sandbox needs that Python 3.11's ``os`` lacks.

Why ctypes and not ``os.unshare`` / bubblewrap: ``os.unshare`` arrived in Python 3.12
and bubblewrap is a system package CI would have to install; libc is always there.
Every wrapper raises ``OSError`` with errno set, like the ``os`` functions do.
Prototypes are bound once at import: the per-sample calls run around a fork, where
every page Python touches is a copy-on-write fault.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOATIME = 1024
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
#: securebits: uid 0 gets no capabilities from execve, nor can regain ambient ones; locked
SECBIT_NOROOT = 1 << 0
SECBIT_NOROOT_LOCKED = 1 << 1
SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6
SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7

AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4

_SYSCALLS = {"x86_64": {"pivot_root": 155, "close_range": 436, "mount_setattr": 442},
             "aarch64": {"pivot_root": 41, "close_range": 436, "mount_setattr": 442}}
_MACHINE = {"arm64": "aarch64"}.get(os.uname().machine, os.uname().machine)
SUPPORTED = _MACHINE in _SYSCALLS
_NR = _SYSCALLS.get(_MACHINE, {})


def _proto(lib: ctypes.CDLL, name: str, restype: type, *argtypes: type) -> Callable[..., Any]:
    func = getattr(lib, name)
    func.restype = restype
    func.argtypes = list(argtypes)
    return func


_c_str = ctypes.c_char_p
_unshare = _proto(_libc, "unshare", ctypes.c_int, ctypes.c_int)
_setns = _proto(_libc, "setns", ctypes.c_int, ctypes.c_int, ctypes.c_int)
_mount = _proto(_libc, "mount", ctypes.c_int, _c_str, _c_str, _c_str, ctypes.c_ulong, _c_str)
_umount2 = _proto(_libc, "umount2", ctypes.c_int, _c_str, ctypes.c_int)
_sethostname = _proto(_libc, "sethostname", ctypes.c_int, _c_str, ctypes.c_size_t)
_capget = _proto(_libc, "capget", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_capset = _proto(_libc, "capset", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_prctl = _proto(_libc, "prctl", ctypes.c_int, ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                ctypes.c_ulong, ctypes.c_ulong)
# one variadic syscall(2) per signature, so argument conversion is declared, not guessed
_syscall_2p = _proto(ctypes.CDLL(None, use_errno=True), "syscall", ctypes.c_long,
                     ctypes.c_long, _c_str, _c_str)
_syscall_3u = _proto(ctypes.CDLL(None, use_errno=True), "syscall", ctypes.c_long,
                     ctypes.c_long, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint)
_syscall_setattr = _proto(ctypes.CDLL(None, use_errno=True), "syscall", ctypes.c_long,
                          ctypes.c_long, ctypes.c_int, _c_str, ctypes.c_uint,
                          ctypes.c_void_p, ctypes.c_size_t)


def _nr(name: str) -> int:
    if not SUPPORTED:
        raise OSError(38, f"the sandbox has no system-call table for {_MACHINE}")
    return _NR[name]


def _check(result: int, what: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _enc(s: str | None) -> bytes | None:
    return None if s is None else os.fsencode(s)


def unshare(flags: int) -> None:
    _check(_unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_setns(fd, nstype), "setns")


def fork_into_new_pid_namespace(own_pid_ns: int) -> int:
    """``os.fork()`` whose child is PID 1 of a fresh PID namespace.

    A new PID namespace applies to the caller's *next* child only, and can be asked
    for again only once the caller's children are back in its own namespace: hence
    setns to ``own_pid_ns`` (an fd of /proc/self/ns/pid) first. os.fork rather than
    a raw clone(CLONE_NEWPID): libc's fork runs the pthread_atfork handlers that
    threaded libraries (OpenBLAS, imported by a numpy preload) need in the child.
    """
    setns(own_pid_ns, CLONE_NEWPID)
    unshare(CLONE_NEWPID)
    return os.fork()


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _check(_mount(_enc(source), _enc(target), _enc(fstype), flags, _enc(data)),
           f"mount {source or fstype} on {target}")


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_sethostname(raw, len(raw)), "sethostname")


def umount2(target: str, flags: int) -> None:
    _check(_umount2(_enc(target), flags), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    _check(_syscall_2p(_nr("pivot_root"), _enc(new_root), _enc(put_old)), "pivot_root")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def set_tree_attributes(path: str, attr_set: int, attr_clr: int = 0) -> None:
    """Set and clear MOUNT_ATTR_* flags on the mount at ``path`` and every mount below
    it (mount_setattr with AT_RECURSIVE, Linux 5.12+). Unlike a remount it leaves every
    other flag alone, so it also works on mounts a user namespace inherited, whose
    atime and other flags are locked."""
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    _check(_syscall_setattr(_nr("mount_setattr"), AT_FDCWD, _enc(path), AT_RECURSIVE,
                            ctypes.addressof(attr), ctypes.sizeof(attr)),
           f"mount_setattr {path}")


def make_tree_readonly(path: str) -> None:
    """Read-only, nosuid, nodev for the mount at ``path`` and every mount below it."""
    set_tree_attributes(path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)


def close_from(lowest: int) -> None:
    """Close every descriptor >= ``lowest`` in one call (close_range, Linux 5.9+):
    ``os.closerange`` here loops over close() for each of 65536 numbers."""
    _check(_syscall_3u(_nr("close_range"), lowest, 0xFFFFFFFF, 0), "close_range")


def prctl(option: int, arg: int) -> None:
    _check(_prctl(option, arg, 0, 0, 0), "prctl")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_CAP_VERSION_3 = 0x20080522


def clear_capabilities() -> None:
    """Empty this thread's effective, permitted and inheritable capability sets (and
    with them the ambient set): a process that keeps uid 0 inside a user namespace
    keeps every capability there unless they are cleared."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_capset(ctypes.addressof(header), ctypes.addressof(data)), "capset")


def capabilities() -> tuple[int, int]:
    """(effective, permitted) capability masks of this thread."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_capget(ctypes.addressof(header), ctypes.addressof(data)), "capget")
    return (data[0].effective | data[1].effective << 32,
            data[0].permitted | data[1].permitted << 32)


def prctl_ptr(option: int, arg: int, address: int) -> None:
    """prctl with a pointer as its third argument (PR_SET_SECCOMP)."""
    _check(_prctl(option, arg, address, 0, 0), "prctl")
