"""Samples cannot touch each other: each worker's own uid and user namespace (process
counts per worker), memory only within a sample's limits, and the same in single-uid
mode (an ordinary user without subordinate ids). Every attack runs in a batch with
correct samples that must still pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.sandbox import Job, Sandbox, userns
from tests.benchmarks.sandbox.conftest import GOOD_JOB, PATIENT_S, run_beside_good, wait_for
from tests.benchmarks.sandbox.holding import check_held, hold_beside_neighbours

#: the checkout under test: put first on the path of the interpreters tests start, so
#: their sandbox workers (started with that path) run this code too
CHECKOUT = str(Path(__file__).resolve().parents[3])


def _python(script: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {CHECKOUT!r})\n" + script]


@pytest.fixture(scope="module")
def single_uid() -> Iterator[Sandbox]:
    """A sandbox in single-uid mode (what an ordinary user without /etc/subuid gets),
    whoever runs the tests."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(userns, "detect_mode", lambda: "single")
        with Sandbox(workers=2, memory_mb=256) as sb:
            yield sb


# -- uids ---------------------------------------------------------------------------
def test_each_worker_has_its_own_sample_and_judge_uids(sandbox: Sandbox) -> None:
    ids = [w.ids for w in sandbox._workers]
    samples = {i.sandbox_uid for i in ids}
    judges = {i.judge_uid for i in ids}
    if ids[0].mode == "single":
        pytest.skip("single-uid mode: one uid for all (covered by the single-uid tests)")
    assert len(samples) == len(ids) and len(judges) == len(ids)
    assert not samples & judges
    assert not samples & {0, 65534, os.getuid()}
    program = "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
    verdicts = sandbox.run([Job(program) for _ in range(6)])
    seen = {tuple(v.stdout.strip().split(maxsplit=2)) for v in verdicts}
    assert {(int(u), int(g), rest) for u, g, rest in seen} <= {
        (i.sandbox_uid, i.sandbox_gid, "[]") for i in ids}


def test_uid_leases_are_exclusive_and_end_with_their_holder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    mode = userns.detect_mode()
    if mode == "single":
        pytest.skip("single-uid mode leases nothing")
    # names of this test's own, so that no other sandbox on the machine takes a pair
    prefix = f"routerx-test-{os.getpid()}-uid-"
    monkeypatch.setattr(userns, "LOCK_PREFIX", prefix)
    first, second = userns.lease(mode), userns.lease(mode)
    try:
        assert first.sandbox_uid != second.sandbox_uid
        assert first.judge_uid not in (second.sandbox_uid, second.judge_uid)
        # another process sees them taken: it gets a third pair
        out = subprocess.run(
            _python(f"from benchmarks.sandbox import userns\n"
                    f"userns.LOCK_PREFIX = {prefix!r}\n"
                    f"print(userns.lease({mode!r}).sandbox_uid)"),
            capture_output=True, text=True, check=True)
        third = int(out.stdout)
        assert third not in (first.sandbox_uid, second.sandbox_uid)
        taken = first.sandbox_uid
    finally:
        first.release()
        second.release()

    def free(uid: int) -> bool:
        probe = userns._take(uid)
        if probe is None:
            return False
        probe.close()
        return True

    # a lease ends with its holder: released, or its process gone, its pair can be
    # taken again. Not always at once: a process another thread of this one forks
    # holds a copy of every socket until it execs (Popen's fork-to-exec window;
    # measured: 156 of 20,000 release-and-lease rounds beside a thread running
    # subprocesses found the pair still bound), so wait for it. (Nor is it always
    # "the lowest free pair" again: for the same reason a lower pair may have been
    # bound a moment when ``first`` was leased, and be free now.)
    wait_for(lambda: free(taken), "the released pair to be free again")
    wait_for(lambda: free(third), "the pair of a process that ended to be free again")


def test_a_sample_at_its_process_limit_does_not_starve_another_worker(
        sandbox: Sandbox) -> None:
    check_held(hold_beside_neighbours(sandbox))
    assert [v.status for v in sandbox.run([GOOD_JOB] * 4)] == ["passed"] * 4


def test_single_uid_mode_keeps_process_counts_per_worker(single_uid: Sandbox) -> None:
    if os.geteuid() == 0:
        # uid 0 of the host is exempt from RLIMIT_NPROC in every user namespace (the
        # kernel checks for its user_struct), so root forced into single-uid mode proves
        # nothing here; test_sandbox_unprivileged runs this as an ordinary user
        pytest.skip("needs an ordinary user (see test_sandbox_unprivileged)")
    seen = hold_beside_neighbours(single_uid)
    assert seen["mode"] == "single"
    check_held(seen)


def test_single_uid_mode_sample_has_no_capabilities(single_uid: Sandbox) -> None:
    program = textwrap.dedent("""\
        import ctypes, json, os, socket
        libc = ctypes.CDLL(None, use_errno=True)
        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
        class Data(ctypes.Structure):
            _fields_ = [("eff", ctypes.c_uint32), ("prm", ctypes.c_uint32),
                        ("inh", ctypes.c_uint32)]
        header, data = Header(0x20080522, 0), (Data * 2)()
        libc.capget(ctypes.byref(header), ctypes.byref(data))
        out = {"uid": os.getuid(), "caps": [d.eff | d.prm | d.inh for d in data]}
        def attempt(name, call):
            rc = call()
            out[name] = "done" if rc == 0 else os.strerror(ctypes.get_errno())
        attempt("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
        attempt("sethostname", lambda: libc.sethostname(b"x", 1))
        attempt("unshare_mount", lambda: libc.unshare(0x00020000))
        attempt("chroot", lambda: libc.chroot(b"/tmp"))
        try:
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            out["raw_socket"] = "done"
        except OSError as e:
            out["raw_socket"] = e.strerror
        print(json.dumps(out))
    """)
    verdict = run_beside_good(single_uid, program)
    assert verdict.status == "passed", verdict
    seen = json.loads(verdict.stdout)
    assert seen.pop("uid") == 0 and seen.pop("caps") == [0, 0]
    assert set(seen.values()) == {"Operation not permitted"}, seen


#: leaves what it can in its scratch: a changed mode, a deep tree, many files
LITTER = textwrap.dedent("""\
    import os
    home = os.environ["HOME"]
    os.chmod(home, 0o777)
    path = home
    for i in range(300):
        path = os.path.join(path, "d")
        os.mkdir(path)
    for i in range(20000):
        open(os.path.join(home, f"f{i}"), "w").close()
    os.chmod(os.path.join(home, "d"), 0)
""")
CLEAN = textwrap.dedent("""\
    import os
    home = os.environ["HOME"]
    assert os.listdir(home) == [], len(os.listdir(home))
    assert oct(os.stat(home).st_mode & 0o777) == "0o700"
""")


@pytest.mark.parametrize("mode", ["detected", "single"])
def test_scratch_litter_is_gone_for_the_next_sample(sandbox: Sandbox, single_uid: Sandbox,
                                                    mode: str) -> None:
    """Whatever a sample leaves in its scratch (in single-uid mode it owns the tmpfs
    root too) is gone for the next one, and the worker survives cleaning it."""
    sb = single_uid if mode == "single" else sandbox
    workers = [w.proc.pid for w in sb._workers]
    litter, clean = Job(LITTER, timeout_s=PATIENT_S), Job(CLEAN, timeout_s=PATIENT_S)
    verdicts = sb.run([litter, clean, litter, clean, clean])
    assert [v.status for v in verdicts] == ["passed"] * 5, verdicts
    assert [w.proc.pid for w in sb._workers] == workers


def test_paths_shown_under_tmp_survive_scratch_renewal(tmp_path: Path) -> None:
    """An interpreter whose environment lives under /tmp (a CI venv) stays importable
    for every sample, however often a littered scratch is replaced."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "routerx_probe_module.py").write_text("VALUE = 42\n")
    use = "import routerx_probe_module\nassert routerx_probe_module.VALUE == 42\n"
    script = textwrap.dedent(f"""\
        from benchmarks.sandbox import Job, Sandbox
        with Sandbox(workers=1) as sb:
            use = Job({use!r}, timeout_s={PATIENT_S})
            litter = Job({LITTER!r}, timeout_s={PATIENT_S})
            verdicts = sb.run([use, litter, use, litter, use])
            print([v.status for v in verdicts], [v.detail for v in verdicts])
    """)
    out = subprocess.run([str(venv / "bin" / "python"), *_python(script)[1:]],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("['passed', 'passed', 'passed', 'passed', 'passed']"), \
        out.stdout


# -- memory -------------------------------------------------------------------------
#: each tries to hold twice its 128 MB limit outside its address space
MEMORY_ROUTES = {
    "memfd_create": textwrap.dedent("""\
        import os
        held = []  # files of 8 MB each, under the file-size limit
        for i in range(32):
            fd = os.memfd_create(f"hold{i}")
            os.write(fd, b"x" * (8 << 20))
            held.append(fd)
    """),
    "dev_shm": textwrap.dedent("""\
        with open("/dev/shm/hold", "wb") as fh:
            for _ in range(256):
                fh.write(b"x" * (1 << 20))
    """),
    "posix_shared_memory": textwrap.dedent("""\
        from multiprocessing import shared_memory
        block = shared_memory.SharedMemory(create=True, size=256 << 20)
        block.buf[:] = b"x" * (256 << 20)
    """),
    "scratch_files": textwrap.dedent("""\
        import os
        for i in range(32):
            with open(os.path.join(os.environ["HOME"], f"hold{i}"), "wb") as fh:
                fh.write(b"x" * (8 << 20))
    """),
    "tmp_files": textwrap.dedent("""\
        import os
        for i in range(32):
            with open(f"/tmp/hold{i}", "wb") as fh:
                fh.write(b"x" * (8 << 20))
    """),
    "sysv_shared_memory": textwrap.dedent("""\
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.shmget(0, 256 << 20, 0o1600) < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    """),
}
#: how each route is refused
REFUSALS = {"memfd_create": "Operation not permitted", "dev_shm": "No such file or directory",
            "posix_shared_memory": "No such file or directory",
            "scratch_files": "No space left on device",
            "tmp_files": "Read-only file system",
            "sysv_shared_memory": "No space left on device"}


@pytest.mark.parametrize("route", sorted(MEMORY_ROUTES))
def test_memory_outside_the_limit_is_refused(sandbox: Sandbox, route: str) -> None:
    jobs = [GOOD_JOB, Job(MEMORY_ROUTES[route], timeout_s=PATIENT_S, memory_mb=128), GOOD_JOB,
            # the scratch space is whole again for the samples after it
            Job("open('f', 'wb').write(b'x' * (12 << 20))\n", timeout_s=PATIENT_S), GOOD_JOB]
    verdicts = sandbox.run(jobs)
    attack = verdicts[1]
    assert attack.status == "error", attack
    refusals = REFUSALS[route]
    assert any(r in (attack.detail or "") for r in (
        refusals if isinstance(refusals, tuple) else (refusals,))), attack
    assert [v.status for i, v in enumerate(verdicts) if i != 1] == ["passed"] * 4, verdicts


def test_single_uid_mode_memory_routes_are_refused(single_uid: Sandbox) -> None:
    for route in ("memfd_create", "tmp_files", "sysv_shared_memory"):
        verdict = run_beside_good(single_uid, MEMORY_ROUTES[route])
        assert verdict.status == "error", (route, verdict)


# -- when the kernel forbids user namespaces ----------------------------------------
def test_forbidden_user_namespaces_are_one_clear_line() -> None:
    """Under a seccomp filter that refuses user namespaces (as a container's may), the
    sandbox refuses to start and says why; nothing runs."""
    script = textwrap.dedent("""\
        from benchmarks.sandbox import Sandbox, seccomp
        from router.errors import SandboxUnavailable
        seccomp.install()
        try:
            Sandbox(workers=1)
        except SandboxUnavailable as exc:
            print("UNAVAILABLE", exc)
        else:
            print("STARTED")
    """)
    out = subprocess.run(_python(script), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert line.startswith("UNAVAILABLE") and "\n" not in line, out.stdout
    assert "user namespace" in line and "seccomp" in line, line
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("key", "value", "fix"), [
    ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=1"),
    ("user/max_user_namespaces", "0", "user.max_user_namespaces="),
    ("kernel/apparmor_restrict_unprivileged_userns", "1",
     "kernel.apparmor_restrict_unprivileged_userns=0"),
])
def test_why_forbidden_names_the_switch(tmp_path: Path, key: str, value: str,
                                        fix: str) -> None:
    (tmp_path / key).parent.mkdir(parents=True)
    (tmp_path / key).write_text(value + "\n")
    assert fix in (userns.why_forbidden(str(tmp_path)) or "")


def test_subordinate_ranges_are_read_by_name_or_uid(tmp_path: Path) -> None:
    subuid = tmp_path / "subuid"
    subuid.write_text("alice:100000:65536\n1001:200000:10\nbob:bad:1\n")
    assert userns._subordinate(str(subuid), "alice", 1000) == [(100000, 65536)]
    assert userns._subordinate(str(subuid), "carol", 1001) == [(200000, 10)]
    assert userns._subordinate(str(subuid), "bob", 1002) == []
    assert userns._pairs([(200000, 5)]) == [200000, 200002]



def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from the host's /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_every_sandbox_process_is_offered_to_the_oom_killer_first(sandbox: Sandbox) -> None:
    """Workers, zygotes and judges (and so every sample they fork) carry the highest
    out-of-memory score, so the kernel kills a hoarding sample before a host process."""
    sandbox.run([GOOD_JOB])  # the workers are up
    scores = {}
    for worker in sandbox._workers:
        for pid in _descendants(worker.proc.pid):
            try:
                scores[pid] = int(Path(f"/proc/{pid}/oom_score_adj").read_text())
            except (OSError, ValueError):
                continue  # a process that ended meanwhile
    assert len(scores) >= 3 * len(sandbox._workers)  # worker, zygote, judge each
    assert set(scores.values()) == {1000}
    assert int(Path("/proc/self/oom_score_adj").read_text()) != 1000  # the host is not
