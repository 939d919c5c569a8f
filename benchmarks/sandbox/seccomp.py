"""A small seccomp filter: no user namespaces, no anonymous memory files, and no rarely
needed kernel interfaces.

Why: inside a new user namespace an unprivileged process holds every capability over
the namespaces it creates, which opens large parts of the kernel (netfilter, mounts of
new filesystems) to it; most recent kernel escalations start there. (``setns`` stays
allowed: the worker needs it, and it takes a capability no sandboxed process has or,
without user namespaces, can get.) ``memfd_create`` (and ``memfd_secret``) are refused
because a memory file holds memory that no rlimit counts: a sample could keep gigabytes
in one without mapping them, outside its address-space limit (the other such places,
/dev/shm and tmpfs files, are absent or size-capped: ``rootfs``). Python programs and
test suites need none of what is refused here. Refusals return an errno (EPERM, or
ENOSYS for ``clone3``, whose flags a filter cannot read, so libc falls back to
``clone``); a foreign system-call ABI (i386 or x32 on x86_64) kills the process, since
its numbers would slip past the rules.

Installed once in a worker or in a command's init (root of their own user namespace)
and inherited by everything they start.
"""

from __future__ import annotations

import ctypes
import errno
import os

from benchmarks.sandbox import linux

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_X32_BIT = 0x40000000

_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_NR = {
    "x86_64": {"clone": 56, "unshare": 272, "clone3": 435, "bpf": 321,
               "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248,
               "request_key": 249, "io_uring_setup": 425, "kexec_load": 246,
               "kexec_file_load": 320, "memfd_create": 319, "memfd_secret": 447},
    "aarch64": {"clone": 220, "unshare": 97, "clone3": 435, "bpf": 280,
                "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
                "request_key": 218, "io_uring_setup": 425, "kexec_load": 104,
                "kexec_file_load": 294, "memfd_create": 279, "memfd_secret": 447},
}
#: system calls refused outright, with the errno they return
REFUSED = {"clone3": errno.ENOSYS, "bpf": errno.EPERM,
           "perf_event_open": errno.EPERM, "userfaultfd": errno.EPERM,
           "keyctl": errno.EPERM, "add_key": errno.EPERM, "request_key": errno.EPERM,
           "io_uring_setup": errno.ENOSYS, "kexec_load": errno.EPERM,
           "kexec_file_load": errno.EPERM, "memfd_create": errno.EPERM,
           "memfd_secret": errno.EPERM}
#: system calls refused only when their first argument asks for a user namespace
NO_NEW_USERNS = ("clone", "unshare")


class _Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Insn))]


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for ``machine``."""
    nr = _NR[machine]
    insns = [
        (_LD_W_ABS, 0, 0, 4),                   # A = arch
        (_JEQ_K, 1, 0, _ARCH[machine]),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, 0),                   # A = syscall number
    ]
    if machine == "x86_64":
        insns += [(_JGE_K, 0, 1, _X32_BIT), (_RET_K, 0, 0, _RET_KILL_PROCESS)]
    for name, err in REFUSED.items():
        insns += [(_JEQ_K, 0, 1, nr[name]), (_RET_K, 0, 0, _RET_ERRNO | err)]
    for name in NO_NEW_USERNS:
        insns += [
            (_JEQ_K, 0, 4, nr[name]),
            (_LD_W_ABS, 0, 0, 16),              # A = low half of the first argument
            (_JSET_K, 0, 1, linux.CLONE_NEWUSER),
            (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),
            (_LD_W_ABS, 0, 0, 0),               # A = syscall number again
        ]
    insns.append((_RET_K, 0, 0, _RET_ALLOW))
    return insns


def install() -> None:
    """Apply the filter to this process and everything it starts from now on. Sets
    no_new_privs first: the kernel requires it of a process without CAP_SYS_ADMIN in
    its user namespace, and nothing after this point may gain privileges anyway."""
    machine = {"arm64": "aarch64"}.get(os.uname().machine, os.uname().machine)
    if machine not in _NR:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {machine}")
    insns = program(machine)
    array = (_Insn * len(insns))(*(_Insn(*i) for i in insns))
    prog = _Prog(len(insns), array)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.prctl_ptr(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog))
