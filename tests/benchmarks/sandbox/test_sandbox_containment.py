"""Each attack issue 3 lists, contained, with correct programs in the same batch still
passing afterwards. The test process only sets bait (listeners, keys, files) and looks
at the host afterwards; the attacks themselves run only inside the sandbox."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.sandbox import Job, Sandbox, rootfs
from tests.benchmarks.sandbox.conftest import (
    GOOD_JOB,
    leftovers,
    processes_with,
    run_beside_good,
    run_marker,
    run_one,
)

FAKE_KEY = "sk-routerx-test-FAKE-0123456789abcdef"


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A world-traversable host directory outside pytest's 0700 tmp tree, so that a
    file the sandbox cannot reach is hidden by the sandbox, not by permissions."""
    path = Path(tempfile.mkdtemp(prefix="routerx-sandbox-bait-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def probe(sandbox: Sandbox, program: str) -> dict:
    """Run a program that reports what it managed as one JSON line at its end,
    beside correct programs; it must itself end normally."""
    verdict = run_beside_good(sandbox, program)
    assert verdict.status == "passed", verdict
    return json.loads(verdict.stdout.strip().splitlines()[-1])


# -- processes ----------------------------------------------------------------------
@pytest.mark.parametrize("fork", ["os.fork", "posix.fork"])
def test_fork_bomb(sandbox: Sandbox, fork: str) -> None:
    marker = "forkbomb-marker-" + fork.replace(".", "-")
    program = (f"import os, posix\nmarker = {marker!r}\n"
               f"while True:\n    try:\n        {fork}()\n    except OSError:\n        pass\n")
    verdict = run_beside_good(sandbox, program, timeout_s=2)
    assert verdict.status == "timeout"
    assert leftovers(sandbox) == []


def test_fork_bomb_is_held_by_the_process_limit(sandbox: Sandbox) -> None:
    program = ("import os\nn = 0\nerr = None\n"
               "for _ in range(10000):\n"
               "    try:\n        pid = os.fork()\n    except OSError as e:\n"
               "        err = type(e).__name__\n        break\n"
               "    if pid == 0:\n"
               "        import time\n        time.sleep(60)\n        os._exit(0)\n"
               "    n += 1\n"
               "print(n, err)\n")
    verdict = run_one(sandbox, program)
    assert verdict.status == "passed"
    count, error = verdict.stdout.split()
    assert int(count) < 64 and error == "BlockingIOError"


def test_background_processes_do_not_outlive_the_sample(sandbox: Sandbox) -> None:
    marker = run_marker(987654321)
    program = ("import os, subprocess\n"
               f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
               "if os.fork() == 0:\n"
               "    os.setsid()\n"
               "    if os.fork() == 0:\n"
               f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n"
               "    os._exit(0)\n")
    verdict = run_beside_good(sandbox, program)
    assert verdict.status == "passed"
    assert processes_with(marker) == []
    assert leftovers(sandbox) == []


def test_cannot_see_or_signal_other_processes(sandbox: Sandbox) -> None:
    me = os.getpid()
    program = (
        "import os, posix, signal, json\n"
        "out = {'pid': os.getpid(), 'ppid': os.getppid(), 'proc': os.path.exists('/proc/1')}\n"
        "for name, f, target in [('kill_ppid', os.kill, os.getppid()),\n"
        "                        ('posix_kill_ppid', posix.kill, os.getppid()),\n"
        f"                        ('kill_host_pid', os.kill, {me}),\n"
        f"                        ('posix_kill_host_pid', posix.kill, {me}),\n"
        "                        ('kill_all', os.kill, -1)]:\n"
        "    try:\n        f(target, signal.SIGKILL)\n        out[name] = 'sent'\n"
        "    except OSError as e:\n        out[name] = type(e).__name__\n"
        "print(json.dumps(out))\n"
    )
    workers = [w.proc.pid for w in sandbox._workers]
    seen = probe(sandbox, program)
    assert seen["pid"] == 1 and seen["ppid"] == 0 and seen["proc"] is False
    # the host's pid number does not exist inside (or is not ours to signal)
    assert seen["kill_host_pid"] == seen["posix_kill_host_pid"] == "ProcessLookupError"
    # the worker and this test process are alive and unchanged
    assert [w.proc.pid for w in sandbox._workers] == workers
    assert all(w.proc.poll() is None for w in sandbox._workers)


# -- resources ----------------------------------------------------------------------
@pytest.mark.parametrize("bomb", [
    "x = []\nwhile True:\n    x.append(bytearray(10 ** 7))",
    "x = ' ' * (10 ** 11)",
    "import numpy\nx = numpy.ones((10 ** 6, 10 ** 4))",
])
def test_memory_bomb(sandbox: Sandbox, bomb: str) -> None:
    assert run_beside_good(sandbox, bomb).status == "out_of_memory"


@pytest.mark.parametrize("program", ["while True:\n    pass", "import time\ntime.sleep(1000)"])
def test_infinite_loop_and_long_sleep(sandbox: Sandbox, program: str) -> None:
    verdict = run_beside_good(sandbox, program, timeout_s=1)
    assert verdict.status == "timeout"


def test_cannot_raise_its_own_limits(sandbox: Sandbox) -> None:
    program = (
        "import resource, json\nout = {}\n"
        "for name in ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_NPROC', 'RLIMIT_NOFILE', "
        "'RLIMIT_FSIZE', 'RLIMIT_CORE'):\n"
        "    which = getattr(resource, name)\n"
        "    before = resource.getrlimit(which)\n"
        "    try:\n"
        "        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
        "        out[name] = 'raised'\n"
        "    except (ValueError, OSError) as e:\n"
        "        out[name] = 'refused' if resource.getrlimit(which) == before else 'changed'\n"
        "import os\n"
        "try:\n    os.setuid(0 if os.getuid() else 12345)\n    out['setuid'] = 'changed'\n"
        "except OSError:\n    out['setuid'] = 'refused'\n"
        "out['uid'] = os.getuid()\n"
        "print(json.dumps(out))\n"
    )
    seen = probe(sandbox, program)
    # the sample runs as its worker's own uid (userns), never root of the host
    assert seen.pop("uid") in {w.ids.sandbox_uid for w in sandbox._workers}
    assert set(seen.values()) == {"refused"}, seen


def test_stdout_flood_is_capped_and_the_batch_carries_on(sandbox: Sandbox) -> None:
    # endless, so the limit is always reached; the output cap must be reached before
    # it, so the limit leaves a loaded machine seconds to start the sample (one in a
    # hundred took over a second to start under load)
    verdict = run_beside_good(sandbox, "while True:\n    print('x' * 10000)", timeout_s=5)
    assert verdict.status == "timeout"
    assert len(verdict.stdout) < 64 * 1024 + 100
    assert "more bytes of output cut" in verdict.stdout


# -- network ------------------------------------------------------------------------
def test_no_network_even_to_host_loopback(sandbox: Sandbox) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    program = ("import socket\n"
               f"s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n")
    try:
        verdict = run_beside_good(sandbox, program)
        assert verdict.status == "error"
        assert verdict.detail is not None and verdict.detail.startswith(
            ("ConnectionRefusedError", "OSError: [Errno 101]"))
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing from the sandbox ever arrived
    finally:
        listener.close()


# -- secrets ------------------------------------------------------------------------
def test_api_keys_in_the_environment_are_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ROUTERX_SECRET", FAKE_KEY)
    me = os.getpid()
    program = (
        "import os, ctypes\nfound = []\n"
        "found.append(repr(dict(os.environ)))\n"
        "env = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), 'environ')\n"
        "i = 0\nwhile env[i]:\n    found.append(env[i].decode())\n    i += 1\n"
        f"for pid in (os.getppid(), 1, {me}, 'self'):\n"
        "    try:\n        found.append(open(f'/proc/{pid}/environ', 'rb').read().decode())\n"
        "    except OSError as e:\n        found.append(type(e).__name__)\n"
        "print('\\n'.join(found))\n"
    )
    with Sandbox(workers=1) as sb:  # started with the key in the host's environment
        verdict = run_beside_good(sb, program)
    assert verdict.status == "passed"
    assert FAKE_KEY not in verdict.stdout
    assert "OPENAI_API_KEY" not in verdict.stdout
    env = eval(verdict.stdout.splitlines()[0])  # the repr of the sample's os.environ
    assert set(env) <= {"PATH", "LANG", "HOME", "TMPDIR"}
    assert env["HOME"].startswith("/tmp/")


def test_secret_in_the_invoking_users_home_is_invisible(
        open_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = open_dir / "home"
    (home / ".config").mkdir(parents=True)
    secret = home / ".config" / "credentials"
    secret.write_text(FAKE_KEY)
    home.chmod(0o755)
    (home / ".config").chmod(0o755)
    secret.chmod(0o644)
    monkeypatch.setenv("HOME", str(home))
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    program = (
        "import os, json\nout = {}\n"
        f"for path in ({str(secret)!r}, {str(home)!r}):\n"
        "    try:\n"
        "        out[path] = open(path).read() if os.path.isfile(path) else os.listdir(path)\n"
        "    except OSError as e:\n        out[path] = type(e).__name__\n"
        f"out['real'] = sorted(os.listdir({real_home!r})) if os.path.isdir({real_home!r}) "
        "else []\n"
        "print(json.dumps(out))\n"
    )
    with Sandbox(workers=1) as sb:
        seen = probe(sb, program)
    assert FAKE_KEY not in json.dumps(seen)
    assert seen[str(secret)] == "FileNotFoundError"
    assert seen[str(home)] == "FileNotFoundError"
    # of the real home, at most the directories leading to the interpreter are shown
    shown = {Path(p).relative_to(real_home).parts[0] for p in rootfs.interpreter_paths()
             if p.startswith(real_home.rstrip("/") + "/")}
    assert set(seen["real"]) <= shown


# -- filesystem ---------------------------------------------------------------------
def test_cannot_write_or_delete_outside_its_scratch(sandbox: Sandbox, open_dir: Path) -> None:
    victim = open_dir / "victim.txt"
    victim.write_text("original")
    victim.chmod(0o666)
    program = (
        "import os, json\nout = {}\n"
        "def attempt(name, f):\n"
        "    try:\n        f()\n        out[name] = 'done'\n"
        "    except OSError as e:\n        out[name] = type(e).__name__\n"
        f"attempt('overwrite_host_file', lambda: open({str(victim)!r}, 'w').write('x'))\n"
        f"attempt('delete_host_file', lambda: os.remove({str(victim)!r}))\n"
        "attempt('write_etc', lambda: open('/etc/routerx-test', 'w'))\n"
        "attempt('delete_etc', lambda: os.remove('/etc/hostname'))\n"
        "attempt('write_usr', lambda: open('/usr/routerx-test', 'w'))\n"
        "attempt('write_root', lambda: open('/routerx-test', 'w'))\n"
        "attempt('write_tmp', lambda: open('/tmp/routerx-test', 'w'))\n"
        "attempt('write_dev', lambda: open('/dev/routerx-test', 'w'))\n"
        "attempt('write_home', lambda: open(os.path.expanduser('~/ok'), 'w').write('x'))\n"
        "attempt('write_cwd', lambda: open('ok2', 'w').write('x'))\n"
        "print(json.dumps(out))\n"
    )
    seen = probe(sandbox, program)
    assert seen.pop("write_home") == "done" and seen.pop("write_cwd") == "done"
    assert "done" not in seen.values(), seen
    assert victim.read_text() == "original"
    assert not Path("/etc/routerx-test").exists() and not Path("/usr/routerx-test").exists()


def test_scratch_is_empty_for_every_sample(sandbox: Sandbox) -> None:
    write = "import os\nopen(os.path.join(os.environ['HOME'], 'left-behind'), 'w').write('x')\n"
    check = "import os\nhome = os.listdir(os.environ['HOME'])\nassert home == [], home\n"
    verdicts = sandbox.run([Job(write), Job(check), Job(write), Job(check)])
    assert [v.status for v in verdicts] == ["passed"] * 4


def test_scratch_size_is_capped() -> None:
    # three files each under the 16 MB file-size limit, together over the 16 MB scratch
    program = "for i in range(3):\n    open(f'big{i}', 'wb').write(b'x' * (10 * 1024 * 1024))\n"
    with Sandbox(workers=1, scratch_mb=16) as sb:
        verdict = run_beside_good(sb, program)
    assert verdict.status == "error"
    assert verdict.detail is not None and "No space left on device" in verdict.detail


def test_file_size_limit(sandbox: Sandbox) -> None:
    verdict = run_beside_good(sandbox, "open('big', 'wb').write(b'x' * (20 * 1024 * 1024))\n")
    assert verdict.status == "error"
    assert verdict.detail is not None and "File too large" in verdict.detail


# -- a mixed batch ------------------------------------------------------------------
def test_a_batch_of_attacks_with_correct_samples_between() -> None:
    attacks = [
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "x = []\nwhile True:\n    x.append(bytearray(10 ** 7))",
        "while True:\n    pass",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)",
        "import sys\nwhile True:\n    sys.stdout.write('z' * 65536)",
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)",
        "import ctypes\nctypes.string_at(0)",
    ]
    jobs = []
    for attack in attacks:
        jobs += [Job(attack, timeout_s=1.5), GOOD_JOB]
    with Sandbox(workers=2) as sb:
        verdicts = sb.run(jobs)
        after = sb.run([GOOD_JOB] * 4)
    assert all(v.status == "passed" for v in verdicts[1::2]), verdicts[1::2]
    assert not any(v.status == "passed" for v in verdicts[0::2][:3])
    assert all(v.status == "passed" for v in after)


# -- kernel surface -----------------------------------------------------------------
def test_no_user_namespaces_but_threads_and_subprocesses_work(sandbox: Sandbox) -> None:
    program = (
        "import ctypes, json, os, subprocess, threading\n"
        "libc = ctypes.CDLL(None, use_errno=True)\nout = {}\n"
        "for name, flags in (('userns', 0x10000000), ('netns', 0x40000000)):\n"
        "    out[name] = (libc.unshare(flags), ctypes.get_errno())\n"
        "box = []\nt = threading.Thread(target=lambda: box.append(1))\nt.start()\nt.join()\n"
        "out['thread'] = box\n"
        "out['subprocess'] = subprocess.run(['echo', 'hi'], capture_output=True,\n"
        "                                   text=True).stdout\n"
        "print(json.dumps(out))\n"
    )
    seen = probe(sandbox, program)
    assert seen["userns"] == [-1, 1] and seen["netns"] == [-1, 1]  # EPERM
    assert seen["thread"] == [1] and seen["subprocess"] == "hi\n"
