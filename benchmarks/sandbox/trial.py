"""One sample, run and watched from the worker: its candidate (started by the
zygote), its judge (the worker's judge process), the wall clock, and the verdict.

A verdict comes from two places only, neither of which the candidate can write to:

- the judge's report, over the judge's own socket: a status when the tests ran to
  their end with every call answered (passed, failed, error, out_of_memory), or why
  the candidate stopped answering;
- how the candidate's process ended, seen from outside: its wait status and CPU time
  (the zygote reaps it with wait4), and whether the worker killed it.

A candidate that stops answering is never ``passed``. If it closed the channel (it
exited, was killed, or closed the pipe), its end decides: ``timeout`` for its CPU
limit, ``out_of_memory`` for a SIGKILL the worker did not send (the kernel's OOM
killer), ``crashed`` for an exit or any other signal. If it sent something that is
not an answer, it ``crashed`` with the judge's reason. The wall clock covers both
processes: past it, both are killed and the sample is a ``timeout``.

``sandbox`` is an infrastructure failure, never counted against the model: a
candidate that could not be confined (said on a set-up pipe the candidate closes
before its program runs, so no program can claim it) or a judge that died without
a report. A judge that does not report within ``JUDGE_GRACE_S`` of its candidate's
end (stuck in the test's own code) is replaced.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from typing import Any

from benchmarks.sandbox import child, confine, rootfs
from benchmarks.sandbox.capture import DETAIL_LIMIT, CappedBuffer, cap_text
from benchmarks.sandbox.judge import Judge
from benchmarks.sandbox.supervise import signal_name
from benchmarks.sandbox.zygote import Exit, Zygote

SETUP_LIMIT = 4 * 1024
#: after the judge saw the channel close, how long the candidate may take to end
#: before it is killed (it normally is already gone)
CHANNEL_GRACE_S = 2.0
#: after its candidate was killed, how long the judge may take to report before it is
#: replaced (it normally reports at once: the channel is closed)
JUDGE_GRACE_S = 2.0
_CLOSED = "closed the call channel"


def ids(config: dict[str, Any]) -> tuple[int, int, int, int]:
    """(candidate uid, gid, judge uid, gid): the worker's own (``userns``)."""
    return (int(config["sandbox_uid"]), int(config["sandbox_gid"]),
            int(config["judge_uid"]), int(config["judge_gid"]))


class _Watch:
    """Poll the sample's pipes, the candidate's pidfd and the judge."""

    def __init__(self, pipes: dict[int, CappedBuffer], candidate_fd: int, judge: Judge):
        self.pipes = pipes
        self.open = set(pipes)
        self.candidate_fd = candidate_fd
        self.judge = judge
        self.candidate_done = False
        self.report: dict[str, Any] | None = None
        self.judge_lost = False
        self.poller = select.poll()
        for fd in pipes:
            os.set_blocking(fd, False)
        for fd in (*pipes, candidate_fd, judge.fd, judge.pidfd):
            self.poller.register(fd, select.POLLIN)

    def until(self, deadline: float, done: Any) -> bool:
        """Pump events until ``done()`` (True) or the deadline (False)."""
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for fd, _ in self.poller.poll(int(remaining * 1000) + 1):
                if fd in self.pipes:
                    if not self.pipes[fd].read_from(fd):
                        self.poller.unregister(fd)
                        self.open.discard(fd)
                elif fd == self.candidate_fd:
                    self.poller.unregister(fd)
                    self.candidate_done = True
                elif fd == self.judge.fd:
                    self._judge_readable()
                else:  # the judge's pidfd: it died
                    self._unwatch(fd)
                    self.judge_lost = self.report is None
        return True

    def _judge_readable(self) -> None:
        try:
            reports = self.judge.read()
        except (OSError, ValueError):
            reports = None
        if reports is None:
            self._unwatch(self.judge.fd)
            self.judge_lost = self.report is None
        elif reports:
            self.report = reports[0] if isinstance(reports[0], dict) else {}

    def _unwatch(self, fd: int) -> None:
        try:
            self.poller.unregister(fd)
        except KeyError:
            pass

    @property
    def judged(self) -> bool:
        return self.report is not None or self.judge_lost

    def stop(self) -> None:
        for fd in (self.judge.fd, self.judge.pidfd):
            self._unwatch(fd)

    def drain(self) -> None:
        """Read every pipe to its end: the candidate is gone, so nothing holds a write
        end any more."""
        for fd in self.open:
            os.set_blocking(fd, True)
            while self.pipes[fd].read_from(fd):
                pass


def _kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_sample(job: dict[str, Any], config: dict[str, Any], zygote: Zygote, judge: Judge,
               limits: confine.Limits, scratch: rootfs.Scratch) -> dict[str, Any]:
    """Run one job (``{"program", "test", "context", "names", "timeout_s"}``) with
    ``scratch`` as the candidate's scratch tmpfs: the worker's answer ``{"status",
    "detail", "duration_s", "stdout"}``."""
    start = time.monotonic()
    deadline = start + float(job["timeout_s"])
    uid, gid, _, _ = ids(config)
    rootfs.renew_scratch(scratch)  # normally already empty; never a job's leftovers
    workdir = scratch.at
    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    out_r, out_w = os.pipe()
    setup_r, setup_w = os.pipe()
    try:
        zygote.request([request_r, reply_w, out_w, setup_w], limits, uid, gid, workdir)
        try:
            judge.submit(job, [request_w, reply_r])
        except OSError:  # the judge died between jobs: a new one takes this job
            judge.restart()
            judge.submit(job, [request_w, reply_r])
    finally:
        for fd in (request_r, reply_w, out_w, setup_w, request_w, reply_r):
            os.close(fd)
    try:
        started = zygote.started()
    except OSError as exc:
        # the judge finds the channel closed at once; its report is not needed
        _await_report(judge, time.monotonic() + JUDGE_GRACE_S)
        for fd in (out_r, setup_r):
            os.close(fd)
        rootfs.renew_scratch(scratch)
        return _answer("sandbox", f"the sandbox could not start the sample: {exc}", start, "")
    output = CappedBuffer(int(config["stdout_limit"]))
    setup = CappedBuffer(SETUP_LIMIT)
    watch = _Watch({out_r: output, setup_r: setup}, started.pidfd, judge)
    timed_out = not watch.until(deadline, lambda: watch.judged)
    killed = False
    report = watch.report
    if report is not None and report.get("broken") == _CLOSED and not watch.candidate_done:
        # the channel closed: let the candidate finish ending, so its end is what counts
        killed = not watch.until(min(deadline, time.monotonic() + CHANNEL_GRACE_S),
                                 lambda: watch.candidate_done)
    duration = time.monotonic() - start
    _kill(started.pidfd)
    if not watch.judged:
        # killing the candidate breaks the channel: the judge should report at once
        watch.until(time.monotonic() + JUDGE_GRACE_S, lambda: watch.judged)
    watch.stop()
    if watch.report is None:
        judge.restart()  # dead, or stuck in the test's own code
    ended = zygote.wait_exit()
    watch.drain()
    for fd in (out_r, setup_r, started.pidfd):
        os.close(fd)
    rootfs.renew_scratch(scratch)
    if setup.kept:
        return _answer("sandbox", "the sandbox could not confine the sample: "
                       + setup.text(), start, output.text(), duration)
    if timed_out:
        return _answer("timeout", "wall-clock limit exceeded", start, output.text(), duration)
    status, detail = _verdict(report, ended, killed, limits.cpu_s)
    return _answer(status, detail, start, output.text(), duration)


def _await_report(judge: Judge, deadline: float) -> None:
    poller = select.poll()
    poller.register(judge.fd, select.POLLIN)
    while time.monotonic() < deadline:
        if poller.poll(int((deadline - time.monotonic()) * 1000) + 1):
            try:
                if judge.read():
                    return
            except (OSError, ValueError):
                break
    judge.restart()


def _answer(status: str, detail: str | None, start: float, stdout: str,
            duration: float | None = None) -> dict[str, Any]:
    if duration is None:
        duration = time.monotonic() - start
    return {"status": status, "detail": None if detail is None else cap_text(detail,
                                                                               DETAIL_LIMIT),
            "duration_s": duration, "stdout": stdout}


def _parse_report(data: bytes) -> dict[str, Any] | None:
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def _verdict(report: dict[str, Any] | None, ended: Exit, killed: bool,
             cpu_limit_s: int) -> tuple[str, str | None]:
    if report is None:
        return "sandbox", "the judge ended without a verdict"
    if "sandbox" in report:
        return "sandbox", str(report["sandbox"])
    if "status" in report:
        return str(report["status"]), report.get("detail")
    reason = str(report.get("broken"))
    if reason != _CLOSED:
        return "crashed", f"broke the call protocol: it {reason}"
    stage = "program" if report.get("stage") == "load" else "tests"
    return _candidate_end(ended, killed, cpu_limit_s, stage)


def _candidate_end(ended: Exit, killed: bool, cpu_limit_s: int,
                   stage: str) -> tuple[str, str | None]:
    """How a candidate that closed its channel ended. The CPU limit shows as its
    CPU_EXCEEDED exit (its SIGXCPU handler) or, if it was stuck in C code, as the
    kernel's SIGKILL one second later; any other SIGKILL the worker did not send is
    the kernel's out-of-memory killer."""
    if killed:
        return "crashed", f"closed the call channel before the {stage} finished and " \
                          "did not end (killed)"
    status = ended.status
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL
                                     and ended.cpu_s >= cpu_limit_s - 0.05):
            return "timeout", "CPU-time limit exceeded"
        if sig == signal.SIGKILL:
            return "out_of_memory", "killed by SIGKILL from outside the sandbox " \
                                    "(the kernel's out-of-memory killer)"
        return "crashed", f"killed by {signal_name(sig)}"
    code = os.WEXITSTATUS(status)
    if code == child.CPU_EXCEEDED:
        return "timeout", "CPU-time limit exceeded"
    return "crashed", f"exited with code {code} before the {stage} finished"
