"""The sandbox without root: a batch run by an ordinary user, in single-uid mode (no
/etc/subuid) and with subordinate uids (newuidmap), must pass correct samples, fail
wrong ones and contain the rest (no network, no host files, process counts per
worker), and a command job must hand its workdir back to the user.

Only as root: the session fixture creates a throwaway user (``routerx-t<pid>``: one of
its own per test run, so that runs side by side do not share one), lets it reach this
interpreter and checkout (a traverse-only ACL entry on the directories it cannot enter,
removed afterwards), and runs each batch under ``runuser`` as that user. Run as
an ordinary user, every other sandbox test already runs without root (``.ci/run`` does
both)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.sandbox import userns
from tests.benchmarks.sandbox.conftest import PATIENT_S
from tests.benchmarks.sandbox.holding import check_held

USER = f"routerx-t{os.getpid()}"
CHECKOUT = str(Path(__file__).resolve().parents[3])
#: subordinate ids given to the test user for the subuid mode
SUBID_COUNT = 65536
SUBID_START = 3_000_000 + (os.getpid() % 4096) * SUBID_COUNT


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _blocked_dirs(path: str) -> list[str]:
    """Directories on the way to ``path`` that others may not enter."""
    blocked, current = [], "/"
    for part in Path(os.path.realpath(path)).parts[1:]:
        if not os.stat(current).st_mode & 0o001:
            blocked.append(current)
        current = os.path.join(current, part)
    if os.path.isdir(current) and not os.stat(current).st_mode & 0o001:
        blocked.append(current)
    return blocked


def _has_acl(path: str) -> bool:
    try:
        os.getxattr(path, "system.posix_acl_access")
    except OSError:
        return False
    return True


def _named_entries(path: str) -> list[str]:
    """The ACL entries of ``path`` that name a user or group (getfacl)."""
    listed = _run(["getfacl", "--skip-base", "--absolute-names", "--omit-header", path])
    return [line for line in listed.stdout.splitlines()
            if line.startswith(("user:", "group:")) and line.split(":")[1]]


def as_user(argv: list[str], env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
    return subprocess.run(["runuser", "-u", USER, "--", "env", "-i",
                           *(f"{k}={v}" for k, v in {**base, **(env or {})}.items()), *argv],
                          capture_output=True, text=True, timeout=timeout, cwd="/")


def _sweep_stale_users(directories: list[str]) -> None:
    """Remove the test users (and their ACL entries) of earlier runs that were killed
    before they could clean up: those whose process is gone, and one named like ours
    (called before ours exists: a killed run whose pid this run got again; pids wrap
    around at pid_max, 32768 by default)."""
    for entry in pwd.getpwall():
        name = entry.pw_name
        if not name.startswith("routerx-t") or not name[9:].isdigit():
            continue
        if name != USER and os.path.exists(f"/proc/{name[9:]}"):
            continue  # that run may still be going
        for directory in directories:
            _run(["setfacl", "-x", f"u:{name}", directory])
        _run(["userdel", name])


@pytest.fixture(scope="session")
def ordinary_user() -> Iterator[pwd.struct_passwd]:
    if os.geteuid() != 0:
        pytest.skip("creating the test user needs root (as an ordinary user, the rest of "
                    "the sandbox suite is the test)")
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    blocked = sorted({d for p in (sys.executable, sys.base_prefix, CHECKOUT)
                      for d in _blocked_dirs(p)})
    if blocked and not (shutil.which("setfacl") and shutil.which("getfacl")):
        pytest.skip(f"{USER} cannot reach {blocked} and setfacl (package acl) is "
                    "missing to let it through")
    _sweep_stale_users(blocked)
    done = _run(["useradd", "--system", "--no-create-home", "--user-group",
                 "--shell", "/usr/sbin/nologin", USER])
    if done.returncode != 0:
        pytest.skip(f"cannot create the test user: {done.stderr.strip()}")
    granted: dict[str, bool] = {}  # directory: whether it had an ACL before
    try:
        for directory in blocked:
            had = _has_acl(directory)
            if _run(["setfacl", "-m", f"u:{USER}:x", directory]).returncode == 0:
                granted[directory] = had
        check = as_user([sys.executable, "-c", "import sys; sys.path.insert(0, "
                         f"{CHECKOUT!r}); import benchmarks.sandbox.pool"])
        if check.returncode != 0:
            pytest.skip(f"{USER} cannot run {sys.executable} on {CHECKOUT}: "
                        f"{check.stderr.strip()[-300:]}")
        yield pwd.getpwnam(USER)
    finally:
        for directory, had in granted.items():
            _run(["setfacl", "-x", f"u:{USER}", directory])
            if not had and not _named_entries(directory):
                _run(["setfacl", "-b", directory])  # no ACL before, none needed now
        _run(["userdel", USER])


@pytest.fixture(scope="session")
def with_subuids(ordinary_user: pwd.struct_passwd) -> Iterator[None]:
    """Subordinate uids and gids for the test user (and newuidmap to use them)."""
    if not (userns._privileged_helper("newuidmap") and userns._privileged_helper("newgidmap")):
        pytest.skip("newuidmap/newgidmap (package uidmap) are not installed")
    span = f"{SUBID_START}-{SUBID_START + SUBID_COUNT - 1}"
    done = _run(["usermod", "--add-subuids", span, "--add-subgids", span, USER])
    if done.returncode != 0:
        pytest.skip(f"cannot give {USER} subordinate ids: {done.stderr.strip()}")
    try:
        yield
    finally:
        _run(["usermod", "--del-subuids", span, "--del-subgids", span, USER])


#: run as the test user: a batch and a command, reported as one JSON line
BATCH = textwrap.dedent("""\
    import json, os, shutil, sys, tempfile
    sys.path.insert(0, CHECKOUT)
    from benchmarks.sandbox import CommandJob, Job, Sandbox, userns
    from tests.benchmarks.sandbox.holding import hold_beside_neighbours
    if MODE == "single":
        userns.detect_mode = lambda: "single"  # as if there were no /etc/subuid
    assert os.geteuid() != 0
    assert open(BAIT).read() == "bait"  # the user may read it; a sample may not
    good = "def add(a, b):\\n    return a + b\\nassert add(2, 3) == 5\\n"
    programs = {
        "good": good,
        "wrong": "assert 1 + 1 == 3\\n",
        "network": f"import socket\\nsocket.create_connection(('127.0.0.1', {PORT}), 2)\\n",
        "host_file": f"open({BAIT!r}).read()\\n",
        "home": f"import os\\nos.listdir({HOME!r})\\n",
        "memfd": "import os\\nos.memfd_create('x')\\n",
        "uid": "import os\\nprint(os.getuid())\\n",
    }
    out = {"mode": userns.detect_mode()}
    with Sandbox(workers=2, memory_mb=256) as sb:
        names = list(programs)
        jobs = [Job(programs[n], timeout_s=PATIENT_S) for n in names]
        out.update({n: [v.status, v.detail, v.stdout] for n, v in zip(names, sb.run(jobs))})
        out["lease_uids"] = [w.ids.sandbox_uid for w in sb._workers]
        out["hold"] = hold_beside_neighbours(sb)
        work = tempfile.mkdtemp()
        result = sb.run_command(CommandJob(
            ["sh", "-c", "mkdir -p made/deep && echo hi > made/deep/f && id -u"],
            workdir=work))
        out["command"] = [result.status, result.returncode, result.output]
        shutil.rmtree(work)  # everything it made is the user's again
        out["command_cleaned"] = not os.path.exists(work)
    print(json.dumps(out))
""")


def _batch(mode: str, port: int, bait: Path) -> dict:
    values = {"CHECKOUT": CHECKOUT, "MODE": mode, "PORT": port, "BAIT": str(bait),
              "HOME": str(bait.parent), "PATIENT_S": PATIENT_S}
    script = "".join(f"{k} = {v!r}\n" for k, v in values.items()) + BATCH
    done = as_user([sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(0.3)
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
def bait() -> Iterator[Path]:
    """A file the test user may read on the host, in a directory standing in for its
    home (world-readable: only the sandbox can hide it)."""
    home = Path(tempfile.mkdtemp(prefix="routerx-user-home-"))
    home.chmod(0o755)
    (home / "secret").write_text("bait")
    (home / "secret").chmod(0o644)
    try:
        yield home / "secret"
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _check(seen: dict, listener: socket.socket) -> None:
    assert seen["good"][0] == "passed" and seen["wrong"][0] == "failed", seen
    # refused inside its empty network namespace (not a NameError, not a time-out)
    assert seen["network"][0] == "error" and seen["network"][1].startswith(
        ("ConnectionRefusedError", "OSError: [Errno 101]")), seen["network"]
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing from the sandbox arrived
    for probe in ("host_file", "home"):
        assert seen[probe][0] == "error" and "FileNotFoundError" in seen[probe][1], seen[probe]
    assert seen["memfd"][0] == "error" and "Operation not permitted" in seen["memfd"][1]
    assert seen["hold"]["mode"] == seen["mode"]
    check_held(seen["hold"])
    status, returncode, output = seen["command"]
    assert (status, returncode) == ("ok", 0), output
    assert seen["command_cleaned"]


def test_single_uid_mode_as_an_ordinary_user(ordinary_user: pwd.struct_passwd,
                                             listener: socket.socket, bait: Path) -> None:
    seen = _batch("single", listener.getsockname()[1], bait)
    assert seen["mode"] == "single"
    _check(seen, listener)
    assert seen["uid"][2].strip() == "0" and seen["command"][2].strip() == "0"


def test_subuid_mode_as_an_ordinary_user(ordinary_user: pwd.struct_passwd, with_subuids: None,
                                         listener: socket.socket, bait: Path) -> None:
    seen = _batch("auto", listener.getsockname()[1], bait)
    assert seen["mode"] == "subuid"
    _check(seen, listener)
    ranges = userns._subordinate("/etc/subuid", USER, ordinary_user.pw_uid)
    leased = seen["lease_uids"]
    assert len(set(leased)) == 2
    assert all(any(s <= u < s + n for s, n in ranges) for u in leased), (leased, ranges)
    assert int(seen["uid"][2]) in leased
    command_uid = int(seen["command"][2])
    assert any(s <= command_uid < s + n for s, n in ranges)


def test_stale_test_users_are_swept_even_one_named_like_ours(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed run leaves its user behind; one whose process is gone is removed, and
    so is one named like this run's (its pid came round again): otherwise useradd
    refuses and the unprivileged tests are skipped. A live run's user stays."""
    gone = 4_000_000  # above any pid_max: no such process
    users = [pwd.struct_passwd((name, "x", 1, 1, "", "/", "/bin/false")) for name in (
        USER, f"routerx-t{gone}", f"routerx-t{os.getppid()}", "routerx-tx", "alice")]
    monkeypatch.setattr(pwd, "getpwall", lambda: users)
    ran: list[list[str]] = []
    monkeypatch.setattr(sys.modules[__name__], "_run", lambda argv: ran.append(argv))
    _sweep_stale_users(["/some/dir"])
    assert ran == [["setfacl", "-x", f"u:{USER}", "/some/dir"], ["userdel", USER],
                   ["setfacl", "-x", f"u:routerx-t{gone}", "/some/dir"],
                   ["userdel", f"routerx-t{gone}"]]
