"""The few Linux system calls the sandbox needs that Python 3.11's ``os`` lacks.

Why ctypes and not ``os.unshare`` / bubblewrap: ``os.unshare`` arrived in Python 3.12
and bubblewrap is a system package CI would have to install; libc is always there.
Every wrapper raises ``OSError`` with errno set, like the ``os`` functions do.
"""

from __future__ import annotations

import ctypes
import os
import platform

_libc = ctypes.CDLL(None, use_errno=True)
# syscall(2) through PyDLL keeps the GIL held across the call: a raw clone() must look
# to the interpreter exactly like os.fork() does (GIL held, then the after-fork hooks).
_libc_gil = ctypes.PyDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SIGCHLD = 17

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_SYSCALLS = {
    # name: (x86_64, aarch64)
    "clone": (56, 220),
    "pivot_root": (155, 41),
    "mount_setattr": (442, 442),
}
_ARCH = 0 if platform.machine() in ("x86_64", "AMD64") else 1
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4


def _nr(name: str) -> int:
    if platform.machine() not in ("x86_64", "AMD64", "aarch64", "arm64"):
        raise OSError(38, f"no syscall table for {platform.machine()}")
    return _SYSCALLS[name][_ARCH]


def _check(result: int, what: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def unshare(flags: int) -> None:
    _libc.unshare.argtypes = [ctypes.c_int]
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                            ctypes.c_ulong, ctypes.c_char_p]

    def enc(s: str | None) -> bytes | None:
        return None if s is None else os.fsencode(s)

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {source or fstype} on {target}")


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(os.fsencode(target), flags), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    _libc.syscall.restype = ctypes.c_long
    _check(_libc.syscall(ctypes.c_long(_nr("pivot_root")), os.fsencode(new_root),
                         os.fsencode(put_old)), "pivot_root")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def make_tree_readonly(path: str) -> None:
    """Read-only, nosuid, nodev for the mount at ``path`` and every mount below it
    (mount_setattr with AT_RECURSIVE, Linux 5.12+)."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0)
    _libc.syscall.restype = ctypes.c_long
    _check(_libc.syscall(ctypes.c_long(_nr("mount_setattr")), ctypes.c_int(-100),
                         os.fsencode(path), ctypes.c_uint(AT_RECURSIVE),
                         ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr))),
           f"mount_setattr {path}")


def prctl(option: int, arg: int) -> None:
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                            ctypes.c_ulong]
    _check(_libc.prctl(option, arg, 0, 0, 0), "prctl")


_before_fork = ctypes.pythonapi.PyOS_BeforeFork
_after_child = ctypes.pythonapi.PyOS_AfterFork_Child
_after_parent = ctypes.pythonapi.PyOS_AfterFork_Parent


def fork_into(flags: int) -> int:
    """``os.fork()`` that also creates the namespaces in ``flags`` for the child.

    Why clone instead of fork + unshare: a new PID namespace applies only to children
    of the caller, so fork + unshare(CLONE_NEWPID) needs a second fork per sample.
    clone(CLONE_NEWPID) makes the child PID 1 of a fresh namespace in one step; the
    interpreter's fork hooks run around it exactly as in ``os.fork``.
    """
    syscall = _libc_gil.syscall
    syscall.restype = ctypes.c_long
    _before_fork()
    pid = syscall(ctypes.c_long(_nr("clone")), ctypes.c_ulong(flags | SIGCHLD),
                  ctypes.c_void_p(0), ctypes.c_void_p(0), ctypes.c_void_p(0),
                  ctypes.c_void_p(0))
    if pid == 0:
        _after_child()
        return 0
    errno = ctypes.get_errno()
    _after_parent()
    if pid < 0:
        raise OSError(errno, f"clone: {os.strerror(errno)}")
    return pid
