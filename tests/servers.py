"""Waiting for, and stopping, what a test starts: processes and in-process servers.

Why one module: on a loaded machine a server takes long to answer and a single request
times out, so every readiness wait retries until a deadline instead of letting one
`ReadTimeout` fail the test; and a test interrupted (Ctrl-C, a failed assertion,
SIGTERM, which tests/conftest.py turns into KeyboardInterrupt) still stops what it
started, because everything is started inside a `with`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest

T = TypeVar("T")


def transient(exc: BaseException) -> bool:
    """A failure that means "not ready yet": no answer in time, no connection, or the
    server's own 5xx while it starts or is overloaded."""
    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def wait_until(check: Callable[[], T], timeout: float, what: str,
               interval: float = 0.2) -> T:
    """Poll `check()` until it returns something truthy; fail naming `what` (and the last
    transient error, if any) at the deadline. A transient error counts as "not yet"."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = check()
        except Exception as exc:
            if not transient(exc):
                raise
            last, result = exc, None
        else:
            last = None
        if result:
            return result
        if time.monotonic() > deadline:
            because = f" (last: {type(last).__name__}: {last})" if last else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{because}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 20, signum: int = signal.SIGINT) -> None:
    """`signum` first (SIGINT: Prefect pauses schedules and cleans up), then SIGKILL; to
    the whole process group when the process leads one (`start_new_session=True`)."""
    if process.poll() is not None:
        return
    group = _leads_group(process.pid)

    def send(sig: int) -> None:
        try:
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signum)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(30)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


@contextmanager
def stopping(process: subprocess.Popen, grace: float = 20,
             signum: int = signal.SIGINT) -> Iterator[subprocess.Popen]:
    """`with stopping(Popen(...)) as p:`: stopped on the way out, whatever happened."""
    try:
        yield process
    finally:
        stop(process, grace, signum)


@contextmanager
def uvicorn_thread(app: Any, timeout: float = 60) -> Iterator[int]:
    """`app` under uvicorn in a daemon thread on a free loopback port (yielded); stopped
    on the way out, forcibly if a graceful stop takes longer than 15 s."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        def started() -> bool:
            if not thread.is_alive():
                pytest.fail(f"uvicorn on port {port} exited before it started")
            return server.started

        wait_until(started, timeout, f"uvicorn on port {port} to start", interval=0.02)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=15)
