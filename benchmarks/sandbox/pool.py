"""``Sandbox``: the host side of the executor, a pool of pre-forked workers.

Why a pool: starting an interpreter and importing modules costs tens of milliseconds,
a fork of a warm worker well under one. Each worker (``benchmarks.sandbox.worker``)
is a fresh interpreter started with an empty environment that already sits in its
namespaces; a job costs one fork of it. The host never runs sample code: it only
hands programs to workers and collects verdicts, so a sample's failure (or a dead
worker) is always a Verdict and the batch carries on.
"""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.sandbox import rootfs, spawn, userns
from benchmarks.sandbox.jobs import CommandJob, CommandResult, Job, Verdict
from benchmarks.sandbox.protocol import FrameReader, encode, read_message
from router.errors import SandboxUnavailable

#: imported once per worker so samples do not pay for them: the modules HumanEval and
#: MBPP programs import most (counted over both suites). Not more: every module a worker
#: holds makes each fork a little slower.
DEFAULT_PRELOAD = ("typing", "math", "re", "collections", "heapq", "itertools", "random",
                   "copy", "string", "bisect", "functools", "operator")
#: the host gives a worker this long beyond a job's own timeout before declaring it hung
WORKER_GRACE_S = 15.0
STARTUP_TIMEOUT_S = 60.0

OnVerdict = Callable[[int, Verdict], None]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        # its own uids (and user namespace), leased for as long as it lives
        self.ids = userns.lease(config["id_mode"])
        try:
            self.proc = spawn.start("benchmarks.sandbox.worker", "main",
                                    {**config, **self.ids.config()}, keep_stdin_open=True)
        except BaseException:
            self.ids.release()
            raise
        self.reader = FrameReader()
        # jobs sent and not yet answered, oldest (the running one) first
        self.queue: deque[tuple[int, float]] = deque()  # (index, timeout_s)
        self.started = 0.0
        self.deadline = 0.0

    @property
    def busy(self) -> bool:
        return bool(self.queue)

    def wait_ready(self, timeout_s: float) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if sel.select(deadline - time.monotonic()):
                    message = read_message(fd)
                    if message is None:
                        raise SandboxUnavailable(
                            f"a sandbox worker died while starting (exit "
                            f"{self.proc.wait()}); see its stderr above")
                    if not message.get("ready"):
                        raise SandboxUnavailable(f"cannot set up the sandbox: "
                                                 f"{message.get('error')}")
                    return
        finally:
            sel.close()
        raise SandboxUnavailable(f"a sandbox worker did not start within {timeout_s:.0f} s")

    def send(self, index: int, data: bytes, timeout_s: float) -> None:
        assert self.proc.stdin is not None
        if not self.queue:
            self._start_clock(timeout_s)
        self.queue.append((index, timeout_s))
        view = memoryview(data)
        while view:
            view = view[os.write(self.proc.stdin.fileno(), view):]

    def answered(self) -> int:
        """Pop the job just answered; the next queued one starts its clock."""
        index, _ = self.queue.popleft()
        if self.queue:
            self._start_clock(self.queue[0][1])
        return index

    def _start_clock(self, timeout_s: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s + WORKER_GRACE_S

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.ids.release()


class Sandbox:
    """Runs untrusted Python programs (``run``) and commands (``run_command``) contained.

    ``workers`` defaults to the CPUs this process may use; ``memory_mb`` is the
    default address-space limit of a job; ``preload`` names modules every worker
    imports once (added to a default set of standard-library staples).
    ``stdout_limit`` caps captured output per job (bytes, the first ones kept),
    ``scratch_mb`` the size of each worker's /tmp (its jobs' scratch space), and
    ``command_output_limit`` a command's output (its first and last halves kept).
    Raises ``SandboxUnavailable`` if containment cannot be set up here; never runs
    anything uncontained.
    """

    def __init__(self, workers: int | None = None, *, memory_mb: int = 1024,
                 preload: Sequence[str] = (), stdout_limit: int = 64 * 1024,
                 scratch_mb: int = 64, command_output_limit: int = 16 * 1024 * 1024) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if memory_mb < 64:
            raise ValueError(f"memory_mb must be >= 64, got {memory_mb}")
        self.memory_mb = memory_mb
        self.config: dict[str, Any] = {
            "preload": list(dict.fromkeys([*DEFAULT_PRELOAD, *preload])),
            "memory_mb": memory_mb,
            "stdout_limit": stdout_limit,
            "scratch_mb": scratch_mb,
            "command_output_limit": command_output_limit,
            "hidden": rootfs.private_dirs(),
        }
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._closed = False
        spawn.check_supported()
        self.config["id_mode"] = userns.detect_mode()
        try:
            # started together, then awaited: start-up is mostly imports, in parallel
            self._workers = [_Worker(self.config) for _ in range(workers or default_workers())]
            for worker in self._workers:
                worker.wait_ready(STARTUP_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        worker = _Worker(self.config)
        try:
            worker.wait_ready(STARTUP_TIMEOUT_S)
        except BaseException:
            worker.kill()
            raise
        return worker

    # -- context manager --------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for worker in self._workers:
                worker.kill()
            self._workers = []

    # -- Python jobs ------------------------------------------------------------------
    def run(self, jobs: Sequence[Job], on_result: OnVerdict | None = None) -> list[Verdict]:
        """One Verdict per job, in input order; ``on_result(index, verdict)`` is called
        (in this thread) as each one finishes."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this Sandbox is closed")
            return _Batch(self, list(jobs), on_result).run()

    # -- commands ---------------------------------------------------------------------
    def run_command(self, job: CommandJob) -> CommandResult:
        """Run ``job.argv`` contained, with ``job.workdir`` as its writable tree."""
        from benchmarks.sandbox.command import run_command

        if self._closed:
            raise RuntimeError("this Sandbox is closed")
        return run_command(job, self.config)


class _Batch:
    """One ``run`` call: feeds jobs to workers and collects their answers.

    Each worker gets up to ``PIPELINE`` jobs at a time (small ones only, so a write
    never blocks on a full pipe): the next program is already in its pipe when one
    ends, so a worker never waits for this process to be scheduled."""

    PIPELINE = 2
    SMALL = 32 * 1024

    def __init__(self, sandbox: Sandbox, jobs: list[Job], on_result: OnVerdict | None):
        self.sandbox = sandbox
        self.jobs = jobs
        self.on_result = on_result
        self.verdicts: list[Verdict | None] = [None] * len(jobs)
        self.pending: deque[int] = deque(range(len(jobs)))
        self.sel = selectors.DefaultSelector()

    def run(self) -> list[Verdict]:
        try:
            for worker in self.sandbox._workers:
                self._register(worker)
                self._feed(worker)
            while any(w.busy for w in self.sandbox._workers):
                self._poll()
        except BaseException:
            # a callback raised or we were interrupted: in-flight jobs would leave
            # workers out of step, so replace them before the error propagates
            for worker in list(self.sandbox._workers):
                if worker.busy:
                    self._replace(worker, register=False)
            raise
        finally:
            self.sel.close()
        return [v for v in self.verdicts if v is not None]

    def _register(self, worker: _Worker) -> None:
        assert worker.proc.stdout is not None
        self.sel.register(worker.proc.stdout.fileno(), selectors.EVENT_READ, worker)

    def _feed(self, worker: _Worker) -> None:
        while self.pending and len(worker.queue) < self.PIPELINE:
            index = self.pending[0]
            job = self.jobs[index]
            data = encode({"program": job.program, "test": job.test, "context": job.context,
                           "names": job.names(), "timeout_s": job.timeout_s,
                           "memory_mb": job.memory_mb or self.sandbox.memory_mb})
            if worker.busy and len(data) > self.SMALL:
                return
            self.pending.popleft()
            try:
                worker.send(index, data, job.timeout_s)
            except OSError as exc:
                self._worker_lost(worker, f"sandbox worker died ({exc})")
                return

    def _poll(self) -> None:
        now = time.monotonic()
        busy = [w for w in self.sandbox._workers if w.busy]
        wait = max(0.0, min(w.deadline for w in busy) - now)
        for key, _ in self.sel.select(min(wait, 1.0)):
            worker: _Worker = key.data
            try:
                data = os.read(key.fd, 1 << 20)
            except OSError:
                data = b""
            if not data:
                self._worker_lost(worker, "sandbox worker died")
                continue
            for message in worker.reader.feed(data):
                self._finish(worker, worker.answered(), _verdict(message))
        for worker in busy:
            if worker.busy and time.monotonic() > worker.deadline:
                self._worker_lost(worker, "sandbox worker stopped answering")

    def _finish(self, worker: _Worker, index: int, verdict: Verdict) -> None:
        self.verdicts[index] = verdict
        self._feed(worker)
        if self.on_result is not None:
            self.on_result(index, verdict)

    def _worker_lost(self, worker: _Worker, why: str) -> None:
        """The running job is ``crashed``; the ones queued behind it run elsewhere."""
        running = worker.queue[0][0] if worker.queue else None
        requeue = [index for index, _ in list(worker.queue)[1:]]
        started = worker.started
        self.pending.extendleft(reversed(requeue))
        fresh = self._replace(worker, register=True)
        if running is not None:
            verdict = Verdict("crashed", why, max(0.0, time.monotonic() - started))
            self._finish(fresh, running, verdict)
        else:
            self._feed(fresh)

    def _replace(self, worker: _Worker, register: bool) -> _Worker:
        assert worker.proc.stdout is not None
        try:
            self.sel.unregister(worker.proc.stdout.fileno())
        except (KeyError, ValueError):
            pass
        worker.kill()
        fresh = self.sandbox._spawn()
        workers = self.sandbox._workers
        workers[workers.index(worker)] = fresh
        if register:
            self._register(fresh)
        return fresh


def _verdict(message: dict[str, Any]) -> Verdict:
    return Verdict(status=str(message["status"]), detail=message.get("detail"),
                   duration_s=float(message.get("duration_s", 0.0)),
                   stdout=str(message.get("stdout", "")))
