"""The test suite's own waiting and stopping (tests/servers.py, tests/conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.router.cli.process import child_env
from tests.servers import stop, stopping, uvicorn_thread, wait_until


def _answers_after(failures: list[BaseException]) -> object:
    def check() -> str:
        if failures:
            raise failures.pop(0)
        return "ready"
    return check


def test_a_readiness_wait_outlasts_timeouts_and_refused_connections() -> None:
    """The `served` fixture failed a run when one health check hit ReadTimeout."""
    request = httpx.Request("GET", "http://127.0.0.1:1/health")
    busy = httpx.Response(503, request=request)
    failures: list[BaseException] = [
        httpx.ReadTimeout("slow", request=request),
        httpx.ConnectError("refused", request=request),
        httpx.HTTPStatusError("starting", request=request, response=busy),
        ConnectionRefusedError(),
    ]
    assert wait_until(_answers_after(failures), 30, "the server", interval=0) == "ready"


def test_a_readiness_wait_fails_at_its_deadline_naming_the_last_error() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/health")

    def never() -> bool:
        raise httpx.ReadTimeout("still busy", request=request)

    with pytest.raises(pytest.fail.Exception, match="waiting for the server.*ReadTimeout"):
        wait_until(never, 0.05, "the server", interval=0.01)


def test_a_real_error_is_not_retried() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/health")
    missing = httpx.Response(404, request=request)
    with pytest.raises(httpx.HTTPStatusError):
        wait_until(_answers_after([httpx.HTTPStatusError("no", request=request,
                                                         response=missing)]), 30, "x")
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, 30, "x")


def test_stop_takes_down_the_whole_group_even_when_sigint_is_ignored() -> None:
    code = ("import signal, subprocess, sys, time\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(600)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    with stopping(process, grace=0.5):
        assert process.stdout is not None
        grandchild = int(process.stdout.readline())
    assert process.returncode == -signal.SIGKILL
    wait_until(lambda: not _running(grandchild), 30, "the group's other process to exit")
    stop(process)  # stopping a stopped process is a no-op


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_uvicorn_thread_serves_and_stops() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    app.get("/ping")(lambda: {"pong": True})
    with uvicorn_thread(app) as port:
        assert httpx.get(f"http://127.0.0.1:{port}/ping", timeout=10).json() == {"pong": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/ping", timeout=10)


@pytest.mark.slow
def test_a_sigtermed_run_stops_the_servers_its_tests_started(tmp_path: Path) -> None:
    """SIGTERM to pytest (a CI timeout) runs the finalizers, as Ctrl-C does."""
    pidfile = tmp_path / "server.pid"
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(f"""
        import subprocess, sys, time
        from tests.servers import stopping

        def test_holds_a_server():
            server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                      start_new_session=True)
            with stopping(server, grace=5):
                open({str(pidfile)!r}, "w").write(str(server.pid))
                time.sleep(600)
        """))
    repo = Path(__file__).resolve().parents[1]
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--rootdir={tmp_path}", "--confcutdir", str(repo), "-c", os.devnull,
         "-p", "tests.conftest", str(tmp_path / "test_inner.py")],
        cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    with stopping(run, signum=signal.SIGKILL, grace=0):
        server = int(wait_until(lambda: pidfile.exists() and pidfile.read_text(), 120,
                                "the inner test to start its server"))
        try:
            run.send_signal(signal.SIGTERM)
            output, _ = run.communicate(timeout=60)
            assert not _running(server), output
        finally:
            if _running(server):
                os.killpg(server, signal.SIGKILL)
    assert "KeyboardInterrupt" in output
