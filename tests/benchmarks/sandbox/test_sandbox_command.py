"""``run_command``: a command with one writable host directory (SWE-bench's path)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.sandbox import CommandJob, Sandbox, userns
from tests.benchmarks.sandbox.conftest import (
    PATIENT_S,
    descendants,
    processes_with,
    run_marker,
    wait_for,
)

FAKE_KEY = "sk-routerx-test-FAKE-command-42"


@pytest.fixture
def area() -> Iterator[Path]:
    """Workdir and read-only dir under a world-traversable host directory."""
    path = Path(tempfile.mkdtemp(prefix="routerx-sandbox-cmd-"))
    path.chmod(0o755)
    (path / "work").mkdir()
    (path / "work" / "module.py").write_text("VALUE = 1\n")
    (path / "ro").mkdir()
    (path / "ro" / "data.txt").write_text("read-only data\n")
    (path / "hidden").mkdir()
    (path / "hidden" / "secret.txt").write_text(FAKE_KEY)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def is_a_sandbox_uid(uid: int) -> bool:
    """Whether ``uid`` (as seen inside) is one ``userns`` leases in this mode."""
    mode = userns.detect_mode()
    if mode == "single":
        return uid == 0
    if mode == "root":
        return userns.ROOT_ID_BASE <= uid < userns.ROOT_ID_BASE + 2 * userns.MAX_PAIRS
    return uid != 0 and uid != os.getuid()


def _job(area: Path, script: str, **kw: object) -> CommandJob:
    return CommandJob(argv=["bash", "-c", script], workdir=area / "work",
                      readonly_paths=[area / "ro"], **kw)  # type: ignore[arg-type]


def test_command_runs_in_its_workdir_with_readonly_paths(sandbox: Sandbox, area: Path) -> None:
    script = ("set -u; pwd; cat " + str(area / "ro" / "data.txt") + "; "
              "echo changed > module.py; mkdir -p pkg && echo 2 > pkg/new.txt; "
              "echo x > " + str(area / "ro" / "new.txt") + " || echo ro-refused; "
              "cat " + str(area / "hidden" / "secret.txt") + " || echo hidden-refused; "
              "id -u; echo \"$EXTRA\"; exit 7")
    result = sandbox.run_command(_job(area, script, env={"EXTRA": "extra-value"}))
    assert result.status == "ok" and result.returncode == 7
    lines = result.output.splitlines()
    assert lines[0] == str(area / "work")
    assert "read-only data" in lines
    assert "ro-refused" in lines and "hidden-refused" in lines
    assert "extra-value" in lines
    assert is_a_sandbox_uid(int(lines[lines.index("hidden-refused") + 1]))
    assert FAKE_KEY not in result.output
    assert (area / "work" / "module.py").read_text() == "changed\n"
    assert (area / "work" / "pkg" / "new.txt").read_text() == "2\n"
    assert not (area / "ro" / "new.txt").exists()


def test_workdir_is_given_back_to_its_owner(sandbox: Sandbox, area: Path) -> None:
    """The command runs as a uid of its own; afterwards what it wrote belongs to the
    workdir's owner again (an ordinary user can delete it)."""
    result = sandbox.run_command(_job(area, "mkdir -p a/b && echo x > a/b/f && "
                                      "ln -s /etc/passwd a/link && id -u && stat -c %u ."))
    assert result.status == "ok" and result.returncode == 0, result.output
    inside, owner_inside = (int(x) for x in result.output.split())
    assert is_a_sandbox_uid(inside) and owner_inside == inside
    work = area / "work"
    owners = {os.lstat(p).st_uid for p in [work, *work.rglob("*")]}
    assert owners == {os.getuid()}
    assert os.stat("/etc/passwd").st_uid == 0  # the symlink's target was not touched


def test_command_environment_is_minimal(sandbox: Sandbox, area: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    result = sandbox.run_command(_job(area, "env; cat /proc/1/environ; "
                                      "cat /proc/$PPID/environ; echo"))
    assert result.status == "ok"
    assert FAKE_KEY not in result.output
    names = {line.split("=", 1)[0] for line in result.output.splitlines() if "=" in line}
    assert {"PATH", "LANG", "HOME"} <= names
    assert "OPENAI_API_KEY" not in names


def test_command_timeout_kills_the_whole_tree(sandbox: Sandbox, area: Path) -> None:
    marker = run_marker(876543219)
    result = sandbox.run_command(_job(
        area, f"setsid sleep {marker} & (sleep {marker} &) ; sleep {marker}", timeout_s=1))
    assert result.status == "timeout" and result.returncode is None
    assert processes_with(marker) == []


def test_background_processes_end_with_the_command(sandbox: Sandbox, area: Path) -> None:
    marker = run_marker(765432198)
    result = sandbox.run_command(_job(area, f"(setsid sleep {marker} &); echo started"))
    assert result.status == "ok" and result.returncode == 0
    assert processes_with(marker) == []


def test_command_has_no_network(sandbox: Sandbox, area: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        result = sandbox.run_command(CommandJob(
            argv=[sys.executable, "-c",
                  f"import socket; socket.create_connection(('127.0.0.1', {port}), 2)"],
            workdir=area / "work"))
        assert result.status == "ok" and result.returncode == 1
        assert "ConnectionRefusedError" in result.output or "unreachable" in result.output
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_command_killed_by_a_signal_is_crashed(sandbox: Sandbox, area: Path) -> None:
    result = sandbox.run_command(_job(area, "kill -SEGV $$"))
    assert result.status == "crashed" and result.returncode == -11


def test_missing_program_is_exit_127(sandbox: Sandbox, area: Path) -> None:
    result = sandbox.run_command(CommandJob(argv=["no-such-program-routerx"],
                                            workdir=area / "work"))
    assert result.status == "ok" and result.returncode == 127
    assert "no-such-program-routerx" in result.output


def test_command_memory_limit(sandbox: Sandbox, area: Path) -> None:
    result = sandbox.run_command(CommandJob(
        argv=[sys.executable, "-c", "x = bytearray(600 * 1024 * 1024)"],
        workdir=area / "work", memory_mb=256))
    assert result.status == "ok" and result.returncode == 1
    assert "MemoryError" in result.output


def test_bad_workdir_is_a_clear_error(sandbox: Sandbox, area: Path) -> None:
    with pytest.raises(FileNotFoundError, match="workdir"):
        sandbox.run_command(CommandJob(argv=["true"], workdir=area / "absent"))


def test_output_keeps_its_head_and_tail(area: Path) -> None:
    with Sandbox(workers=1, command_output_limit=1000) as sb:
        result = sb.run_command(_job(area, "echo FIRST; yes filler | head -n 20000; echo LAST"))
    assert result.status == "ok" and result.returncode == 0
    assert result.output.startswith("FIRST\n")
    assert result.output.rstrip().endswith("LAST")
    assert "more bytes of output cut" in result.output
    assert len(result.output) < 1100


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def test_killing_the_helper_ends_the_command_tree(sandbox: Sandbox, area: Path) -> None:
    marker = run_marker(654321987)
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.append(sandbox.run_command(
        _job(area, f"(setsid sleep {marker} &); sleep {marker}", timeout_s=PATIENT_S))))
    runner.start()

    def helper_of_running_sleeps() -> list[int]:
        """The helper this process started, once both sleeps run below it. (Only it:
        the init it forked is in its namespace and must die with it, not be killed.)"""
        sleeps = processes_with(marker)
        return [p for p in processes_with("helper_main") if _parent(p) == os.getpid()
                and len(sleeps) >= 2 and set(sleeps) <= set(descendants(p))]

    try:
        [helper] = wait_for(helper_of_running_sleeps, "the command's sleeps")
        os.kill(helper, signal.SIGKILL)
    finally:
        runner.join()  # bounded by the command's own limit
    assert results and results[0].status == "crashed"  # type: ignore[attr-defined]
    wait_for(lambda: not processes_with(marker), "the end of the command's sleeps")
