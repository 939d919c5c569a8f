"""The filesystem a sandboxed process sees: an allow-list, read-only, on a fresh root.

Why an allow-list rather than hiding known-bad places: anything not listed (the
invoking user's home, /work, /run, /var, other users' files, the host's /tmp) simply
does not exist inside. The view holds the system directories and the interpreter's own
paths (read-only), a minimal /dev, empty /proc and /tmp mount points (each sample gets
its own procfs and scratch tmpfs), plus whatever a command job adds (its workdir
read-write, its read-only paths). It is built in a tmpfs and made the root with
pivot_root, so the host's root is detached and unreachable afterwards.

Runs as root of the worker's user namespace (``userns``), inside a fresh mount
namespace: every step here (tmpfs and bind mounts, mount_setattr, pivot_root) is allowed
there without any privilege on the host, and the host's mounts the namespace inherited
stay locked (their read-only and other flags cannot be cleared, nor what they cover
revealed).
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from benchmarks.sandbox import linux

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
STAGING = "/tmp"
SCRATCH = "/tmp"


class Bind(NamedTuple):
    """A host path shown at the same path inside."""

    source: str
    writable: bool = False


def private_dirs() -> list[str]:
    """Directories that must never be exposed whole: the invoking user's home (by the
    password database and by $HOME) and root's."""
    homes = {"/root"}
    try:
        homes.add(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    if os.environ.get("HOME"):
        homes.add(os.environ["HOME"])
    return sorted(os.path.realpath(h) for h in homes if h and h != "/")


def _within(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def interpreter_paths() -> list[str]:
    """Where the interpreter finds libraries: its prefixes, and ``sys.path`` entries
    inside them or named ``site-packages``/``dist-packages``, so a sample can import
    what the host could (numpy, the standard library). Other ``sys.path`` entries (a
    script's directory, a project checkout, the current directory) stay hidden."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                              sys.base_exec_prefix)}
    found = set(prefixes)
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        if not real or not os.path.exists(real):
            continue
        if any(_within(real, p) for p in prefixes) or os.path.basename(real) in (
                "site-packages", "dist-packages"):
            found.add(real)
    return sorted(p for p in found if os.path.exists(p))


def allowed_binds(extra: Iterable[Bind] = (), hidden: Sequence[str] = ()) -> list[Bind]:
    """System dirs plus interpreter paths (read-only) plus ``extra``, minus any path
    that is a private directory or contains one (its inside may still be listed: a
    virtualenv in a home directory is shown, the home around it is not)."""
    hidden = [os.path.realpath(h) for h in (*private_dirs(), *hidden)]
    binds: dict[str, Bind] = {}
    for path in [*SYSTEM_DIRS, *interpreter_paths()]:
        if os.path.islink(path) and path in SYSTEM_DIRS:
            continue  # merged-/usr symlinks are recreated as symlinks
        real = os.path.realpath(path)
        if not os.path.exists(real) or real == "/":
            continue
        if any(_within(h, real) for h in hidden):
            continue
        binds[real] = Bind(real)
    for bind in extra:
        real = os.path.realpath(bind.source)
        if real == "/":
            raise ValueError("the host's root cannot be shown inside the sandbox")
        binds[real] = Bind(real, bind.writable)
    ordered = sorted(binds.values(), key=lambda b: (b.source.count("/"), b.source))
    # a read-only path already shown through a read-only parent needs no mount of its own
    kept: list[Bind] = []
    for bind in ordered:
        covered = any(_within(bind.source, k.source) and k.writable == bind.writable
                      for k in kept)
        if not covered:
            kept.append(bind)
    return kept


def _mountpoint(target: str, is_dir: bool) -> None:
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if is_dir:
        os.mkdir(target)
    else:
        with open(target, "w"):
            pass


def _bind_from_fd(fd: int, target: str, writable: bool) -> None:
    linux.mount(f"/proc/self/fd/{fd}", target, None, linux.MS_BIND | linux.MS_REC)
    if writable:  # mount_setattr, not a remount: the source's locked flags stay as they are
        linux.set_tree_attributes(target, linux.MOUNT_ATTR_NOSUID | linux.MOUNT_ATTR_NODEV)
    else:
        linux.make_tree_readonly(target)


class Scratch(NamedTuple):
    """The writable tmpfs: its size cap, owner, mode and where it is mounted (/tmp, or
    a directory below it, the rest of /tmp then read-only)."""

    size_mb: int
    uid: int = 0
    gid: int = 0
    mode: int = 0o755
    at: str = SCRATCH


def _mount_scratch(target: str, scratch: Scratch) -> None:
    # noatime: otherwise a sample could leave a time of its choosing in the root's
    # atime (by when it first lists it), which renew_scratch does not see change
    linux.mount("tmpfs", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOATIME,
                f"mode={scratch.mode:o},size={scratch.size_mb}m,uid={scratch.uid},"
                f"gid={scratch.gid}")


def renew_scratch(scratch: Scratch) -> None:
    """Make the scratch tmpfs empty and as mounted: if anything is left in it (or its
    root was changed), it is replaced by a new one and the old one detached whole (its
    files freed once nothing holds them), however deep or large its tree. An empty one,
    the usual case, is kept: a remount costs about ten times the check. (Nothing may be
    shown below ``scratch.at``: a detach takes it along.)"""
    root = os.stat(scratch.at)
    # The root's ctime too: a sample that left no file could still leave data in the
    # root's times (utime), extended attributes or default ACL, for the next sample of
    # the same worker to read (a covert channel that would let samples of one task
    # learn, from how far the judge's calls went, which answers the tests accept).
    # Each of those changes the ctime, which no sample can set back.
    if (root.st_mode & 0o7777, root.st_uid, root.st_gid) == (
            scratch.mode, scratch.uid, scratch.gid) \
            and root.st_ctime_ns == _FRESH_CTIME.get(scratch.at) \
            and not os.listdir(scratch.at):
        return
    linux.umount2(scratch.at, linux.MNT_DETACH)
    _mount_scratch(scratch.at, scratch)
    _FRESH_CTIME[scratch.at] = os.stat(scratch.at).st_ctime_ns


#: the ctime of each scratch root as ``renew_scratch`` last mounted it
_FRESH_CTIME: dict[str, int] = {}


def enter_root(binds: Sequence[Bind], scratch: Scratch, proc: bool = False) -> None:
    """Replace this mount namespace's root by the allow-listed view (see module doc),
    with ``scratch`` mounted at ``scratch.at``; shown paths under /tmp are mounted on top.

    ``proc``: also a procfs of the caller's PID namespace at /proc, its /proc/sys
    read-only. It is mounted before the host's root goes: inside a user namespace the
    kernel allows a new procfs only while a full one is visible."""
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    # Sources are opened before the staging tmpfs covers /tmp: a workdir there stays
    # reachable through its descriptor.
    fds = {b.source: os.open(b.source, os.O_PATH | os.O_CLOEXEC) for b in binds}
    devices = {d: os.open(f"/dev/{d}", os.O_PATH | os.O_CLOEXEC) for d in DEVICES
               if os.path.exists(f"/dev/{d}")}
    try:
        linux.mount("tmpfs", STAGING, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                    "mode=0755,size=1m")
        new = STAGING
        os.makedirs(new + scratch.at)
        _mount_scratch(new + scratch.at, scratch)
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                os.symlink(os.readlink(path), new + path)
        for bind in binds:
            target = new + bind.source
            _mountpoint(target, os.path.isdir(f"/proc/self/fd/{fds[bind.source]}"))
            _bind_from_fd(fds[bind.source], target, bind.writable)
        for name in ("proc", "dev"):
            os.makedirs(f"{new}/{name}", mode=0o755, exist_ok=True)
        _populate_dev(new + "/dev", devices)
        if proc:
            _mount_proc(new + "/proc")
        os.chdir(new)
        linux.pivot_root(".", ".")
        linux.umount2(".", linux.MNT_DETACH)
        os.chdir("/")
        linux.mount(None, "/", None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY
                    | linux.MS_NOSUID | linux.MS_NODEV)
    finally:
        for fd in (*fds.values(), *devices.values()):
            os.close(fd)


def _populate_dev(dev: str, devices: dict[str, int]) -> None:
    linux.mount("tmpfs", dev, "tmpfs", linux.MS_NOSUID | linux.MS_NOEXEC,
                "mode=0755,size=64k")
    for name, fd in devices.items():
        _mountpoint(f"{dev}/{name}", False)
        linux.mount(f"/proc/self/fd/{fd}", f"{dev}/{name}", None, linux.MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    linux.mount(None, dev, None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY
                | linux.MS_NOSUID | linux.MS_NOEXEC)


def _mount_proc(target: str) -> None:
    """A procfs of the caller's PID namespace (commands need one) with /proc/sys
    read-only: in single-uid mode the command is uid 0 of its namespaces, which owns the
    IPC and network sysctls there."""
    linux.mount("proc", target, "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.mount(f"{target}/sys", f"{target}/sys", None, linux.MS_BIND | linux.MS_REC)
    linux.make_tree_readonly(f"{target}/sys")


def host_path(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))
