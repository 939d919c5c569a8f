"""The filesystem a sandboxed process sees: an allow-list, read-only, on a fresh root.

Why an allow-list rather than hiding known-bad places: anything not listed (the
invoking user's home, /work, /run, /var, other users' files, the host's /tmp) simply
does not exist inside. The view holds the system directories and the interpreter's own
paths (read-only), a minimal /dev, empty /proc and /tmp mount points (each sample gets
its own procfs and scratch tmpfs), plus whatever a command job adds (its workdir
read-write, its read-only paths). It is built in a tmpfs and made the root with
pivot_root, so the host's root is detached and unreachable afterwards.

Must run as root inside a fresh mount namespace (``unshare(CLONE_NEWNS)``).
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.sandbox import linux

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
STAGING = "/tmp"


@dataclass(frozen=True)
class Bind:
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
    """Where the interpreter finds modules: prefixes and ``sys.path`` entries, so a
    sample can import what the host could (numpy, the standard library)."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    found += [p for p in sys.path if p]
    return [os.path.realpath(p) for p in found if p and os.path.exists(p)]


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
    if writable:
        linux.mount(None, target, None,
                    linux.MS_REMOUNT | linux.MS_BIND | linux.MS_NOSUID | linux.MS_NODEV)
    else:
        linux.make_tree_readonly(target)


def enter_root(binds: Sequence[Bind]) -> None:
    """Replace this mount namespace's root by the allow-listed view (see module doc)."""
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
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                os.symlink(os.readlink(path), new + path)
        for bind in binds:
            target = new + bind.source
            _mountpoint(target, os.path.isdir(f"/proc/self/fd/{fds[bind.source]}"))
            _bind_from_fd(fds[bind.source], target, bind.writable)
        for name in ("tmp", "proc", "dev"):
            os.makedirs(f"{new}/{name}", mode=0o755, exist_ok=True)
        _populate_dev(new + "/dev", devices)
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


def mount_private(scratch_mb: int, uid: int, gid: int) -> None:
    """Per process: a procfs of its own PID namespace and an empty scratch tmpfs at
    /tmp owned by the sandbox user (the only writable place besides a workdir)."""
    linux.mount("proc", "/proc", "proc",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.mount("tmpfs", "/tmp", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                f"mode=0700,size={scratch_mb}m,uid={uid},gid={gid}")


def host_path(path: str | Path) -> str:
    return os.path.realpath(os.fspath(path))
