"""Who a sandbox runs as: one user namespace per worker (and per command helper), and
the uids inside it.

Why a user namespace for every worker, root or not (one path for both):

- An ordinary user may create one (Linux allows it unless a distribution switched it
  off), and inside it the worker holds every capability over the namespaces it creates
  next (network, mount, PID, IPC, UTS) and none over the host: the sandbox needs no
  root, and under root the worker gives up its host privileges too.
- RLIMIT_NPROC is counted per (user namespace, uid) since Linux 5.14 (checked on 6.18:
  two processes of one uid, each in its own user namespace, do not share a count). A
  sample that forks until its limit uses up only its own worker's count.

The ids, in one of three modes chosen on the host (``detect_mode``):

- ``root``: the host runs as root in the initial user namespace. The worker's namespace
  maps every uid and gid to itself (the worker reads what root could), and each worker
  leases a pair of otherwise unused uids (from ``ROOT_ID_BASE``, skipping any the
  password or group database knows): one for its samples, one for their judge.
- ``subuid``: an ordinary user with ranges in /etc/subuid and /etc/subgid and the
  setuid ``newuidmap``/``newgidmap`` (Debian package ``uidmap``): the user is uid 0
  inside, and each worker leases a pair of the user's subordinate ids, mapped to the
  same numbers inside. Per-worker uids work as under root.
- ``single``: an ordinary user without subordinate ids. Only the user's own uid exists
  inside (as 0), so samples run as that uid 0 with every capability cleared (plus
  securebits NOROOT and no_new_privs, so no execve gives one back), sample and judge
  share it (``judge_uid == sandbox_uid``), and supplementary groups cannot be dropped
  (the kernel refuses setgroups to such a namespace). Workers are still told apart by
  their namespaces: process counts stay per worker.

A lease is an abstract unix socket named after the uid, bound for as long as the worker
lives: two Sandboxes on one machine (or in one process) never hand out the same uid, and
a lease ends with its holder, however that ends.

The worker (``enter``) maps itself in ``single`` mode; in the others a namespace cannot
map more than its creator's own uid, so a forked helper still outside writes the maps
(root) or runs ``newuidmap``/``newgidmap`` (subuid) while the worker waits.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.sandbox import linux
from router.errors import SandboxUnavailable

if TYPE_CHECKING:
    import socket

# Workers import this module for ``enter``: what only the host (leases) or the mapper
# needs (socket, subprocess) is imported where it is used, so workers stay small.
#: first uid (and gid) leased under root: above systemd's container range
#: (524288-1879048191), below the ranges some tools treat as negative
ROOT_ID_BASE = 0x70000000
#: how many pairs of ids are leased at most at once
MAX_PAIRS = 1024
#: where ``newuidmap``/``newgidmap`` are looked for
HELPER_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
#: the sysctls that can forbid user namespaces, with how to allow them again
_SWITCHES = (
    ("kernel/unprivileged_userns_clone", "0",
     "unprivileged user namespaces are disabled: enable them with "
     "'sysctl -w kernel.unprivileged_userns_clone=1'"),
    ("user/max_user_namespaces", "0",
     "user namespaces are disabled (user.max_user_namespaces = 0): enable them with "
     "'sysctl -w user.max_user_namespaces=15000'"),
    ("kernel/apparmor_restrict_unprivileged_userns", "1",
     "AppArmor restricts unprivileged user namespaces: allow them with 'sysctl -w "
     "kernel.apparmor_restrict_unprivileged_userns=0' or an AppArmor profile that gives "
     "this Python 'userns,'"),
)
_FULL_MAP: tuple[tuple[int, int, int], ...] = ((0, 0, 4294967295),)


#: the abstract socket names that lease uids (one machine-wide namespace of names)
LOCK_PREFIX = "routerx-sandbox-uid-"


def _lock_name(uid: int) -> bytes:
    return f"\0{LOCK_PREFIX}{uid}".encode()


@dataclass
class Lease:
    """The ids one worker (or command) uses, held until ``release``."""

    mode: str
    sandbox_uid: int
    sandbox_gid: int
    judge_uid: int
    judge_gid: int
    uid_map: Sequence[tuple[int, int, int]]   # (inside, outside, count)
    gid_map: Sequence[tuple[int, int, int]]
    helpers: tuple[str, str] | None = None    # newuidmap, newgidmap (subuid mode)
    lock: socket.socket | None = None

    def config(self) -> dict[str, Any]:
        """The worker's start-up configuration entries for these ids."""
        return {"id_mode": self.mode, "sandbox_uid": self.sandbox_uid,
                "sandbox_gid": self.sandbox_gid, "judge_uid": self.judge_uid,
                "judge_gid": self.judge_gid, "uid_map": [list(m) for m in self.uid_map],
                "gid_map": [list(m) for m in self.gid_map],
                "id_helpers": list(self.helpers) if self.helpers else None}

    def release(self) -> None:
        if self.lock is not None:
            self.lock.close()
            self.lock = None


# -- host side: which ids -------------------------------------------------------------
def _full_identity_map() -> bool:
    """Whether this process sees every uid (the initial user namespace, or one mapped
    whole): only then can a child namespace map them all."""
    try:
        with open("/proc/self/uid_map") as fh:
            lines = [tuple(int(x) for x in line.split()) for line in fh if line.strip()]
    except OSError:
        return False
    return lines == list(_FULL_MAP)


def _subordinate(path: str, name: str, number: int) -> list[tuple[int, int]]:
    """(start, count) ranges of ``path`` (/etc/subuid or /etc/subgid) for a user."""
    found = []
    try:
        with open(path) as fh:
            for line in fh:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[0] in (name, str(number)) \
                        and parts[1].isdigit() and parts[2].isdigit():
                    found.append((int(parts[1]), int(parts[2])))
    except OSError:
        return []
    return found


def _privileged_helper(name: str) -> str | None:
    """``name`` on HELPER_PATH if it can do its job (setuid, or file capabilities)."""
    found = [os.path.join(d, name) for d in HELPER_PATH.split(":")
             if os.access(os.path.join(d, name), os.X_OK)]
    if not found:
        return None
    path = found[0]
    if os.stat(path).st_mode & stat.S_ISUID:
        return path
    try:
        os.getxattr(path, "security.capability")
    except OSError:
        return None
    return path


def _pairs(ranges: list[tuple[int, int]]) -> list[int]:
    """First ids of the pairs available in ``ranges``."""
    starts: list[int] = []
    for start, count in ranges:
        starts += range(start, start + count - 1, 2)
    return starts[:MAX_PAIRS]


def detect_mode() -> str:
    """``root``, ``subuid`` or ``single`` (see module doc) for this process."""
    if os.geteuid() == 0:
        return "root" if _full_identity_map() else "single"
    name = pwd.getpwuid(os.getuid()).pw_name if _has_passwd_entry() else str(os.getuid())
    if (_pairs(_subordinate("/etc/subuid", name, os.getuid()))
            and _pairs(_subordinate("/etc/subgid", name, os.getuid()))
            and _privileged_helper("newuidmap") and _privileged_helper("newgidmap")):
        return "subuid"
    return "single"


def _has_passwd_entry() -> bool:
    try:
        pwd.getpwuid(os.getuid())
    except KeyError:
        return False
    return True


def _unused(uid: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return False
        except KeyError:
            pass
    return True


def _take(uid: int) -> socket.socket | None:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.bind(_lock_name(uid))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            return None
        raise
    return sock


def lease(mode: str | None = None) -> Lease:
    """Ids for one worker or command, in ``mode`` (default: ``detect_mode()``): the
    first free pair. Raises SandboxUnavailable when every pair is in use."""
    mode = mode or detect_mode()
    uid, gid = os.getuid(), os.getgid()
    if mode == "single":
        return Lease("single", 0, 0, 0, 0, ((0, uid, 1),), ((0, gid, 1),))
    helpers = None
    if mode == "root":
        pairs = [(s, s) for s in range(ROOT_ID_BASE, ROOT_ID_BASE + 2 * MAX_PAIRS, 2)]
    else:
        name = pwd.getpwuid(uid).pw_name
        pairs = list(zip(_pairs(_subordinate("/etc/subuid", name, uid)),
                         _pairs(_subordinate("/etc/subgid", name, uid)), strict=False))
        newuidmap, newgidmap = _privileged_helper("newuidmap"), _privileged_helper("newgidmap")
        assert newuidmap and newgidmap, "detect_mode said subuid"
        helpers = (newuidmap, newgidmap)
    for first, g in pairs:
        if mode == "root" and not (_unused(first) and _unused(first + 1)):
            continue  # an account of this machine: never lent to a sample
        lock = _take(first)
        if lock is None:
            continue
        if mode == "root":
            uid_map, gid_map = _FULL_MAP, _FULL_MAP
        else:
            uid_map = ((0, uid, 1), (first, first, 1), (first + 1, first + 1, 1))
            gid_map = ((0, gid, 1), (g, g, 1), (g + 1, g + 1, 1))
        return Lease(mode, first, g, first + 1, g + 1, uid_map, gid_map, helpers, lock)
    raise SandboxUnavailable(f"all {len(pairs)} pairs of sandbox uids are in use by other "
                             "sandboxes on this machine; close some or use fewer workers")


# -- worker side: entering the namespace ----------------------------------------------
def why_forbidden(proc_sys: str = "/proc/sys") -> str | None:
    """What on this machine forbids user namespaces, and how to allow them; None if no
    known switch is off."""
    for key, off, message in _SWITCHES:
        try:
            with open(os.path.join(proc_sys, key)) as fh:
                if fh.read().strip() == off:
                    return message
        except OSError:
            continue
    try:
        with open("/proc/self/status") as fh:
            if any(line.split() == ["Seccomp:", "2"] for line in fh):
                return ("a seccomp filter around routerx (a container's default profile?) "
                        "refuses user namespaces: allow unshare/clone with CLONE_NEWUSER, "
                        "e.g. docker --security-opt seccomp=unconfined")
    except OSError:
        pass
    return None


def explain(exc: OSError, what: str) -> OSError:
    """``exc`` from ``what`` as one line naming the cause and the fix where known."""
    hint = why_forbidden() if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOSPC,
                                            errno.EINVAL) else None
    reason = exc.strerror or str(exc)
    message = f"{what} ({reason})" + (f": {hint}" if hint else "")
    return OSError(exc.errno, message)


def _map_text(entries: Sequence[Sequence[int]]) -> str:
    return "".join(f"{inside} {outside} {count}\n" for inside, outside, count in entries)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _map_from_outside(pid: int, config: dict[str, Any]) -> None:
    """Run by the helper left outside: give ``pid``'s new namespace its ids."""
    if config["id_mode"] == "root":
        _write(f"/proc/{pid}/uid_map", _map_text(config["uid_map"]))
        _write(f"/proc/{pid}/gid_map", _map_text(config["gid_map"]))
        return
    import subprocess

    newuidmap, newgidmap = config["id_helpers"]
    for tool, entries in ((newuidmap, config["uid_map"]), (newgidmap, config["gid_map"])):
        argv = [tool, str(pid), *(str(n) for entry in entries for n in entry)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise OSError(errno.EPERM, f"{' '.join(argv)} failed: "
                          f"{(done.stderr or done.stdout).strip()[:500]}")


def enter(config: dict[str, Any]) -> None:
    """Move this (single-threaded) process into a new user namespace with the ids of
    ``config`` (see module doc); it is then uid 0 there, with every capability over the
    namespaces it creates next. Raises OSError naming the cause."""
    if config["id_mode"] == "single":
        _unshare_user()
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", _map_text(config["uid_map"]))
            _write("/proc/self/gid_map", _map_text(config["gid_map"]))
        except OSError as exc:
            raise explain(exc, "cannot map the user's own uid into the sandbox's user "
                          "namespace") from exc
        return
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the mapper, still outside
        os.close(go_w)
        os.close(done_r)
        status = b"ok"
        try:
            if os.read(go_r, 1) == b"x":  # end of file: the worker gave up
                _map_from_outside(parent, config)
        except BaseException as exc:
            status = str(exc).encode()[:2000] or b"failed"
        os.write(done_w, status)
        os._exit(0)
    os.close(go_r)
    os.close(done_w)
    try:
        _unshare_user()  # on failure the mapper sees end of file and does nothing
        os.write(go_w, b"x")
    finally:
        os.close(go_w)
        answer = b""
        while chunk := os.read(done_r, 4096):
            answer += chunk
        os.close(done_r)
        os.waitpid(pid, 0)
    if answer != b"ok":
        raise OSError(errno.EPERM, "cannot map the sandbox's uids into its user namespace: "
                      + answer.decode(errors="replace"))


def _unshare_user() -> None:
    try:
        linux.unshare(linux.CLONE_NEWUSER)
    except OSError as exc:
        raise explain(exc, "cannot create a user namespace for the sandbox") from exc
